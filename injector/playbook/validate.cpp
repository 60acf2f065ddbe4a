#include "injector/playbook/validate.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "common/duration.h"
#include "injector/playbook/names.h"
#include "injector/playbook/path.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

void each_step(const std::vector<Step>& steps, const std::function<void(const Step&)>& visit) {
  for (const auto& s : steps) {
    visit(s);
    if (const auto* p = std::get_if<ParallelAction>(&s.action)) each_step(p->children, visit);
  }
}

std::vector<const Expectation*> all_expectations(const Playbook& pb) {
  std::vector<const Expectation*> out;
  for (const auto& g : pb.guards) out.push_back(&g.expect);
  each_step(pb.steps, [&](const Step& s) {
    if (const auto* w = std::get_if<WaitUntilAction>(&s.action)) out.push_back(&w->expect);
    if (const auto* e = std::get_if<ExpectAction>(&s.action)) {
      for (const auto& x : e->expectations) out.push_back(&x);
    }
  });
  return out;
}

template <class Item>
void check_unique(const std::vector<Item>& items, Errors& errors) {
  std::map<std::string, std::string> first;  // name -> path
  for (const auto& item : items) {
    if (item.name.empty()) continue;
    const auto [it, fresh] = first.emplace(item.name, item.path);
    if (!fresh) errors.emplace_back(item.path + ".name", quote_input(item.name) + " is also the name of " + it->second, "unique names");
  }
}

std::map<std::string, const Step*> unique_ids(const Playbook& pb, Errors& errors) {
  std::map<std::string, const Step*> ids;
  each_step(pb.steps, [&](const Step& s) {
    if (s.id.empty()) return;
    const auto [it, fresh] = ids.emplace(s.id, &s);
    if (!fresh) errors.emplace_back(s.path + ".id", quote_input(s.id) + " is also the id of " + it->second->path, "unique ids");
  });
  return ids;
}

// A reference from a step to an earlier one: revert (an inject) or during (any step).
class References {
 public:
  References(std::map<std::string, const Step*> all, Errors& errors) : all_(std::move(all)), errors_(errors) {}

  void check(const std::string& id, const std::string& path, bool inject_only) const {
    const auto earlier = earlier_.find(id);
    if (earlier != earlier_.end()) {
      if (inject_only && !std::holds_alternative<InjectStep>(earlier->second->action)) {
        errors_.emplace_back(path, quote_input(id) + " is not an inject step", candidates(true));
      }
      return;
    }
    errors_.emplace_back(path, all_.contains(id) ? quote_input(id) + " is not earlier: it runs later or alongside"
                                                 : "no step has the id " + quote_input(id),
                         candidates(inject_only));
  }
  // Ids become visible to later steps once their step (a whole parallel group) is done.
  void done(const Step& s) {
    if (!s.id.empty()) earlier_.emplace(s.id, &s);
    if (const auto* p = std::get_if<ParallelAction>(&s.action)) {
      for (const auto& child : p->children) {
        if (!child.id.empty()) earlier_.emplace(child.id, &child);
      }
    }
  }

 private:
  std::string candidates(bool inject_only) const {
    std::string out;
    for (const auto& [id, step] : earlier_) {
      if (!inject_only || std::holds_alternative<InjectStep>(step->action)) out += (out.empty() ? "" : ", ") + id;
    }
    return out.empty() ? std::string(inject_only ? "no earlier inject step has an id" : "no earlier step has an id")
                       : "earlier " + std::string(inject_only ? "inject " : "") + "steps: " + out;
  }

  std::map<std::string, const Step*> all_;
  std::map<std::string, const Step*> earlier_;
  Errors& errors_;
};

void check_step_references(const Step& s, const References& refs) {
  if (const auto* r = std::get_if<RevertAction>(&s.action)) {
    for (std::size_t i = 0; i < r->ids.size(); ++i) refs.check(r->ids[i], index_path(s.path + ".revert", i), true);
  }
  if (const auto* e = std::get_if<ExpectAction>(&s.action); e && !e->during.empty()) {
    refs.check(e->during, s.path + ".during", false);
  }
}

void check_references(const Playbook& pb, Errors& errors) {
  References refs(unique_ids(pb, errors), errors);
  for (const auto& s : pb.steps) {
    check_step_references(s, refs);
    if (const auto* p = std::get_if<ParallelAction>(&s.action)) {
      for (const auto& child : p->children) check_step_references(child, refs);
    }
    refs.done(s);
  }
}

std::string probe_names(const Playbook& pb) {
  std::string out;
  for (const auto& p : pb.probes) out += (out.empty() ? "probe." : ", probe.") + p.name;
  return out.empty() ? "no probes are defined" : out;
}

void check_metrics(const Playbook& pb, Errors& errors) {
  const bool payments = pb.workload.payments.has_value();
  for (const Expectation* e : all_expectations(pb)) {
    if (!e->metric) continue;
    if (*e->metric == Metric::probe) {
      const bool known = std::ranges::any_of(pb.probes, [&](const Probe& p) { return p.name == e->probe; });
      if (!known) errors.emplace_back(e->path + ".metric", "no probe named " + quote_input(e->probe), probe_names(pb));
      if (!e->dc.empty()) errors.emplace_back(e->path + ".dc", "applies to payment metrics only", "no dc with probe.<name>");
    } else if (!payments) {
      errors.emplace_back(e->path + ".metric", std::string(to_string(*e->metric)) + " measures the payment workload, and there is none",
                          "add workload.payments, or use a probe.<name> metric");
    }
  }
  if (!payments && !pb.invariants.empty()) {
    errors.emplace_back("invariants", "invariants are checked on the payment workload's ledger, and there is none",
                        "add workload.payments, or remove invariants");
  }
}

// rto and longest_gap are measured from every payment's whole story (its
// retries included), which is only known after the run: a guard or a
// wait_until, judged while it runs, cannot use them.
void check_live_metrics(const Playbook& pb, Errors& errors) {
  std::vector<const Expectation*> live;
  for (const auto& g : pb.guards) live.push_back(&g.expect);
  each_step(pb.steps, [&](const Step& s) {
    if (const auto* w = std::get_if<WaitUntilAction>(&s.action)) live.push_back(&w->expect);
  });
  for (const Expectation* e : live) {
    if (e->metric != Metric::rto && e->metric != Metric::longest_gap) continue;
    errors.emplace_back(e->path + ".metric", std::string(to_string(*e->metric)) + " is measured after the run, so a guard or a wait_until cannot use it",
                        "success_rate, ok_per_s, latency_p50, latency_p99, latency_max, unknown_count, probe.<name> "
                        "(e.g. success_rate over a window for a gap); rto and longest_gap in an expect step");
  }
}

Millis step_minimum(const Step& s) {
  if (const auto* w = std::get_if<WaitAction>(&s.action)) return w->duration;
  if (const auto* i = std::get_if<InjectStep>(&s.action)) return i->background ? Millis{0} : i->duration;
  if (const auto* p = std::get_if<ParallelAction>(&s.action)) {
    Millis longest{0};
    for (const auto& c : p->children) longest = std::max(longest, step_minimum(c));
    return longest;
  }
  return Millis{0};
}

// A background fault must end inside the drill too: it starts no earlier than `start`.
void check_background_end(const Step& s, Millis start, const Safety& safety, Errors& errors) {
  const auto* i = std::get_if<InjectStep>(&s.action);
  if (!i || !i->background || start + i->duration <= safety.max_duration) return;
  errors.emplace_back(s.path + ".inject.for",
                      "the fault starts at " + format_duration(start) + " at the earliest and would end at " +
                          format_duration(start + i->duration) + ", after safety.max_duration (" +
                          format_duration(safety.max_duration) + ")",
                      "a shorter for, or a larger safety.max_duration");
}

void check_time_limit(const Playbook& pb, Errors& errors) {
  Millis elapsed{0};
  for (const auto& s : pb.steps) {
    check_background_end(s, elapsed, pb.safety, errors);
    if (const auto* p = std::get_if<ParallelAction>(&s.action)) {
      for (const auto& c : p->children) check_background_end(c, elapsed, pb.safety, errors);
    }
    elapsed += step_minimum(s);
  }
  if (elapsed > pb.safety.max_duration) {
    errors.emplace_back("steps", "the steps take at least " + format_duration(elapsed) + ", more than safety.max_duration (" +
                                     format_duration(pb.safety.max_duration) + ")",
                        "shorter waits and injects, or a larger safety.max_duration");
  }
}

}  // namespace

Millis minimum_duration(const std::vector<Step>& steps) {
  Millis total{0};
  for (const auto& s : steps) total += step_minimum(s);
  return total;
}

Errors validate_playbook(const Playbook& pb, const fleet::Inventory* inventory) {
  Errors errors;
  check_unique(pb.probes, errors);
  check_unique(pb.guards, errors);
  check_references(pb, errors);
  check_metrics(pb, errors);
  check_live_metrics(pb, errors);
  check_time_limit(pb, errors);
  if (inventory) {
    for (auto& e : check_inventory_names(pb, *inventory)) errors.push_back(std::move(e));
  }
  return errors;
}

}  // namespace injector::playbook
