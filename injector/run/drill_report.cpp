#include "injector/run/drill_report.h"

#include "injector/run/measure.h"

namespace injector::run {
namespace {

using nlohmann::json;

json opt_us(std::int64_t us) { return us ? json(us) : json(); }
template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json();
}

const char* unit_of(const playbook::Expectation& e) {
  if (!e.metric) return "";
  if (playbook::is_time_metric(*e.metric)) return "s";
  switch (*e.metric) {
    case playbook::Metric::ok_per_s: return "per_s";
    case playbook::Metric::unknown_count: return "count";
    default: return "fraction";
  }
}

const char* metric_name(const playbook::Expectation& e) {
  static const char* names[] = {"success_rate", "ok_per_s", "latency_p50", "latency_p99", "latency_max",
                                "rto",          "longest_gap", "unknown_count", "probe"};
  return e.metric ? names[static_cast<int>(*e.metric)] : "?";
}

json comparison_json(const playbook::Expectation& e) {
  static const char* ops[] = {"<", "<=", ">", ">=", "==", "!="};
  json j = {{"metric", metric_name(e)}, {"dc", e.dc}, {"unit", unit_of(e)}};
  if (e.metric == playbook::Metric::probe) j["probe"] = e.probe;
  if (e.between) {
    j["op"] = "between";
    j["value"] = nullptr;
    j["between"] = {e.between->first, e.between->second};
  } else {
    j["op"] = ops[static_cast<int>(e.op.value_or(playbook::CompareOp::ge))];
    j["value"] = e.value;
    j["between"] = nullptr;
  }
  return j;
}

double seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

void add_planned(std::map<const playbook::Step*, playbook::Offset>& out, const std::vector<playbook::TimelineStep>& steps) {
  for (const auto& t : steps) {
    out[t.step] = t.start;
    add_planned(out, t.children);
  }
}

json steps_json(const std::vector<StepRecord>& steps, const std::map<const playbook::Step*, playbook::Offset>& planned) {
  json out = json::array();
  for (const auto& s : steps) {
    const auto plan = planned.find(s.step);
    json planned_start = plan == planned.end() ? json() : json(seconds(plan->second.earliest));
    json planned_latest = plan == planned.end() ? json() : json(seconds(plan->second.latest));
    out.push_back({{"path", s.step->path}, {"id", s.step->id}, {"kind", s.kind}, {"summary", s.summary},
                   {"planned_start_s", planned_start}, {"planned_start_latest_s", planned_latest},
                   {"started_unix_us", opt_us(s.started_us)}, {"ended_unix_us", opt_us(s.ended_us)},
                   {"result", s.result}, {"detail", s.detail}});
  }
  return out;
}

json faults_json(const std::vector<FaultRecord>& faults) {
  json out = json::array();
  for (const auto& f : faults) {
    json hosts = json::array();
    for (const auto& h : f.hosts) {
      hosts.push_back({{"host", h.host->name}, {"dc", h.host->datacenter}, {"fault_id", h.fault_id},
                       {"activated_unix_us", opt_us(h.activated_us)}, {"reverted", h.reverted}, {"error", h.error}});
    }
    const char* revert = f.state == FaultState::reverted || f.state == FaultState::failed ? "confirmed"
                         : f.state == FaultState::unconfirmed                             ? "unconfirmed"
                                                                                          : "pending";
    out.push_back({{"step_id", f.step_id.empty() ? f.step_path : f.step_id}, {"operation", f.plan.operation},
                   {"description", f.description}, {"state", to_string(f.state)},
                   {"requested_unix_us", opt_us(f.requested_us)}, {"active_unix_us", opt_us(f.active_us)},
                   {"planned_end_unix_us", opt_us(f.planned_end_us)},
                   {"revert_sent_unix_us", opt_us(f.revert_sent_us)},
                   {"revert_confirmed_unix_us", opt_us(f.revert_confirmed_us)}, {"revert", revert},
                   {"error", f.error}, {"hosts", hosts}});
  }
  return out;
}

json expectations_json(const std::vector<JudgedExpectation>& all) {
  json out = json::array();
  for (const auto& x : all) {
    json j = comparison_json(*x.expect);
    j["path"] = x.expect->path;
    j["step_id"] = x.step_id;
    j["window"] = {{"from_unix_us", x.window.from_us}, {"to_unix_us", x.window.to_us}};
    j["event_unix_us"] = opt(x.event_us);
    j["measured"] = opt(x.measured.value);
    j["result"] = to_string(x.measured.result);
    j["detail"] = x.measured.detail;
    out.push_back(std::move(j));
  }
  return out;
}

json guards_json(const std::vector<GuardOutcome>& guards, const AbortTimes& abort) {
  json out = json::array();
  for (const auto& g : guards) {
    json j = comparison_json(g.guard->expect);
    j["name"] = g.guard->name;
    j["path"] = g.guard->path;
    j["window_s"] = static_cast<double>(g.guard->expect.window.value_or(std::chrono::seconds(2)).count()) / 1000.0;
    j["for"] = g.guard->expect.for_count;
    j["tripped"] = g.tripped;
    j["breach_unix_us"] = opt(g.breach_us);
    j["measured"] = opt(g.measured);
    j["evaluations"] = g.evaluations;
    j["no_data"] = g.no_data;
    j["revert_sent_unix_us"] = g.tripped ? opt_us(abort.revert_sent_us) : json();
    j["revert_confirmed_unix_us"] = g.tripped ? opt_us(abort.revert_confirmed_us) : json();
    out.push_back(std::move(j));
  }
  return out;
}

json rollback_json(const std::vector<FaultRecord>& faults) {
  json unconfirmed = json::array();
  for (const auto& f : faults) {
    for (const auto& h : f.hosts) {
      if (f.state == FaultState::unconfirmed && !h.reverted) unconfirmed.push_back(h.host->name);
    }
  }
  const char* result = faults.empty() ? "nothing_to_revert" : unconfirmed.empty() ? "confirmed" : "incomplete";
  return {{"result", result}, {"unconfirmed_hosts", unconfirmed}};
}

json payments_json(const std::vector<drill::SentPayment>* payments, const std::optional<drill::LedgerVerdict>& ledger) {
  std::int64_t sent = 0, ok = 0, failed = 0, unknown = 0;
  if (payments) {
    for (const auto& p : *payments) {
      if (p.attempts.empty()) continue;
      ++sent;
      if (p.acknowledged()) ++ok;
      else if (p.outcome == drill::Outcome::kRefused) ++failed;
      else ++unknown;
    }
  }
  json j = {{"sent", sent}, {"ok", ok}, {"failed", failed}, {"unknown", unknown}};
  j["lost"] = ledger ? json(ledger->lost.size()) : json();
  j["duplicated"] = ledger ? json(ledger->replay_mismatch.size()) : json();
  j["phantom"] = ledger ? json(ledger->phantom.size()) : json();
  if (ledger) j["ledger"] = ledger->to_json();
  return j;
}

}  // namespace

std::map<const playbook::Step*, playbook::Offset> planned_starts(const playbook::Timeline& timeline) {
  std::map<const playbook::Step*, playbook::Offset> out;
  add_planned(out, timeline.steps);
  return out;
}

json series_json(const drill::Recorder& recorder, const std::vector<std::string>& dcs, std::int64_t started_us) {
  json out = json::object();
  std::vector<std::string> all = {""};
  all.insert(all.end(), dcs.begin(), dcs.end());
  for (const auto& dc : all) {
    json rows = json::array();
    for (const auto& r : recorder.series(dc)) {
      rows.push_back({{"t_s", static_cast<double>(r.start_us - started_us) / 1e6}, {"ok", r.ok}, {"fail", r.fail},
                      {"unknown", r.unknown}, {"p50_ms", opt(r.p50_ms)}, {"p99_ms", opt(r.p99_ms)},
                      {"max_ms", opt(r.max_ms)}});
    }
    out[dc] = std::move(rows);
  }
  return out;
}

json build_report(const DrillFacts& f) {
  const playbook::Playbook& pb = *f.playbook;
  json invariants = json::array();
  for (const auto& i : f.invariants) {
    invariants.push_back({{"name", to_string(i.invariant)}, {"result", to_string(i.result)}, {"detail", i.detail}});
  }
  return {
      {"format", "injector-drill-report/1"},
      {"playbook",
       {{"name", pb.name}, {"description", pb.description}, {"file", f.playbook_file}, {"vars", pb.vars},
        {"resolved", f.resolved}}},
      {"run",
       {{"id", f.run_id}, {"started_unix_us", f.started_us}, {"ended_unix_us", f.ended_us}, {"no_faults", f.no_faults},
        {"forced", f.forced}, {"inventory", f.inventory_path}, {"report_dir", f.report_dir},
        {"interrupted", f.interrupted}}},
      {"verdict", {{"result", to_string(f.verdict)}, {"exit_code", exit_code(f.verdict)}, {"reason", f.reason}}},
      {"preflight", f.preflight ? f.preflight->to_json() : json()},
      {"datacenters", f.datacenters},
      {"series", f.recorder ? series_json(*f.recorder, f.datacenters, f.started_us) : json::object()},
      {"steps", steps_json(f.steps, f.planned)},
      {"faults", faults_json(f.faults)},
      {"expectations", expectations_json(f.expectations)},
      {"guards", guards_json(f.guards, f.abort)},
      {"invariants", invariants},
      {"rollback", rollback_json(f.faults)},
      {"payments", payments_json(f.payments, f.ledger)},
      {"failover", f.failover},
      {"probes", f.probes},
  };
}

}  // namespace injector::run
