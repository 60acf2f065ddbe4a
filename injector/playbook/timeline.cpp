#include "injector/playbook/timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "common/duration.h"
#include "injector/playbook/inject_plan.h"
#include "injector/playbook/names.h"

namespace injector::playbook {
namespace {

Offset plus(Offset o, Millis earliest, Millis latest) { return {o.earliest + earliest, o.latest + latest}; }

Offset later(Offset a, Offset b) { return {std::max(a.earliest, b.earliest), std::max(a.latest, b.latest)}; }
Offset sooner(Offset a, Offset b) { return {std::min(a.earliest, b.earliest), std::min(a.latest, b.latest)}; }

Millis run_timeout(const RunAction& r) {
  if (const auto* c = std::get_if<RunCommand>(&r.what)) return c->timeout;
  return std::get<RunHttp>(r.what).timeout;
}

class Planner {
 public:
  // The entry of `s` starting at `t`; reverts end the faults of earlier injects.
  TimelineStep place(const Step& s, Offset t) {
    TimelineStep ts{&s, t, t, std::nullopt, {}};
    if (const auto* w = std::get_if<WaitAction>(&s.action)) {
      ts.end = plus(t, w->duration, w->duration);
    } else if (const auto* u = std::get_if<WaitUntilAction>(&s.action)) {
      ts.end = plus(t, Millis{0}, u->timeout);
    } else if (const auto* r = std::get_if<RunAction>(&s.action)) {
      ts.end = plus(t, Millis{0}, run_timeout(*r));
    } else if (const auto* i = std::get_if<InjectStep>(&s.action)) {
      ts.fault_end = plus(t, i->duration, i->duration);
      if (!i->background) ts.end = *ts.fault_end;
    } else if (const auto* v = std::get_if<RevertAction>(&s.action)) {
      revert(v->ids, t);
    } else if (const auto* p = std::get_if<ParallelAction>(&s.action)) {
      ts.children.reserve(p->children.size());
      for (const Step& c : p->children) ts.children.push_back(place(c, t));
      for (const TimelineStep& c : ts.children) ts.end = later(ts.end, c.end);
    }
    return ts;
  }

  // Remembers where the injects with ids are, once their entries are in place.
  void index(TimelineStep& ts) {
    if (ts.fault_end && !ts.step->id.empty()) injects_[ts.step->id] = &ts;
    for (TimelineStep& c : ts.children) index(c);
  }

 private:
  void revert(const std::vector<std::string>& ids, Offset t) {
    for (const auto& id : ids) {
      const auto it = injects_.find(id);
      if (it != injects_.end()) it->second->fault_end = sooner(*it->second->fault_end, t);
    }
  }

  std::map<std::string, TimelineStep*> injects_;
};

void last_fault_end(const TimelineStep& ts, Offset& end) {
  if (ts.fault_end) end = later(end, *ts.fault_end);
  for (const TimelineStep& c : ts.children) last_fault_end(c, end);
}

// A value of `metric` as written: times in seconds become durations.
std::string value_text(const Expectation& e, double v) {
  if (e.metric && is_time_metric(*e.metric)) {
    const double ms = v * 1000.0;
    if (ms >= 1 && std::floor(ms) == ms) return format_duration(Millis(static_cast<long long>(ms)));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

Timeline plan_timeline(const Playbook& pb) {
  Timeline tl;
  tl.steps.reserve(pb.steps.size());  // the planner keeps pointers to the entries
  Planner planner;
  Offset t;
  for (const Step& s : pb.steps) {
    tl.steps.push_back(planner.place(s, t));
    planner.index(tl.steps.back());
    t = tl.steps.back().end;
  }
  tl.steps_end = t;
  tl.end = t;
  for (const TimelineStep& ts : tl.steps) last_fault_end(ts, tl.end);
  return tl;
}

std::string_view step_kind(const Step& s) {
  static constexpr std::string_view kKinds[] = {"wait", "wait_until", "expect", "inject", "revert", "run", "parallel"};
  return kKinds[s.action.index()];
}

std::string expectation_summary(const Expectation& e) {
  std::string out = e.metric == Metric::probe ? "probe." + e.probe : std::string(e.metric ? to_string(*e.metric) : "?");
  if (!e.dc.empty()) out += "(" + e.dc + ")";
  if (e.between) return out + " between " + value_text(e, e.between->first) + " and " + value_text(e, e.between->second);
  return out + " " + std::string(e.op ? to_string(*e.op) : "?") + " " + value_text(e, e.value);
}

std::string offset_text(Millis d) { return d.count() == 0 ? "0s" : format_duration(d); }

std::string offset_text(const Offset& o) {
  const std::string first = "+" + offset_text(o.earliest);
  return o.exact() ? first : first + "..+" + offset_text(o.latest);
}

std::string step_summary(const Step& s) {
  if (const auto* w = std::get_if<WaitAction>(&s.action)) return "wait " + offset_text(w->duration);
  if (const auto* u = std::get_if<WaitUntilAction>(&s.action)) {
    return "wait until " + expectation_summary(u->expect) + " (<= " + offset_text(u->timeout) + ")";
  }
  if (const auto* e = std::get_if<ExpectAction>(&s.action)) {
    std::string out = "expect";
    for (std::size_t i = 0; i < e->expectations.size(); ++i) out += (i ? ", " : " ") + expectation_summary(e->expectations[i]);
    return out + (e->during.empty() ? " over the drill so far" : " during " + e->during);
  }
  if (const auto* i = std::get_if<InjectStep>(&s.action)) {
    return "inject " + inject_target_summary(*i) + " for " + offset_text(i->duration) + (i->background ? " (background)" : "");
  }
  if (const auto* v = std::get_if<RevertAction>(&s.action)) {
    std::string out = "revert";
    for (std::size_t i = 0; i < v->ids.size(); ++i) out += (i ? ", " : " ") + v->ids[i];
    return out;
  }
  if (const auto* r = std::get_if<RunAction>(&s.action)) {
    std::string out = "run";
    if (const auto* c = std::get_if<RunCommand>(&r->what)) {
      for (const auto& a : c->argv) out += " " + a;
    } else {
      const auto& h = std::get<RunHttp>(r->what);
      out += " " + h.call.method + " " + h.call.url;
    }
    return out + " (<= " + offset_text(run_timeout(*r)) + ")";
  }
  return "parallel (" + std::to_string(std::get<ParallelAction>(s.action).children.size()) + " steps)";
}

}  // namespace injector::playbook
