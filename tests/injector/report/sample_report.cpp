#include "injector/report/sample_report.h"

#include <cmath>
#include <string>

namespace injector::report::testing {

namespace {

using nlohmann::json;

constexpr std::int64_t at(double s) { return kSampleStartUs + static_cast<std::int64_t>(s * 1e6); }

// hz is cut from 10 s to 25 s (its users fail for 3 s, then are served
// elsewhere); hz<->sz carries 60 ms more round trip from 35 s until the guard's
// revert at 41.1 s.
json row(const std::string& dc, int t) {
  const double wobble = std::sin(t * 1.7 + static_cast<double>(dc.size()));  // deterministic noise
  double ok = 100 + 4 * wobble, fail = 0, unknown = 0, p50 = 3 + 0.3 * wobble, p99 = 9 + wobble;
  if (dc == "hz" && t >= 10 && t < 13) ok = 0, fail = 70, unknown = 30;
  if (dc == "hz" && t >= 13 && t < 16) p50 += 8, p99 += 30;
  if ((dc == "hz" || dc == "sz") && t >= 35 && t < 41) p50 += 60, p99 += 62, fail = t >= 39 ? 40 : 2, ok -= fail;
  json r = {{"t_s", t}, {"ok", std::round(ok)}, {"fail", fail}, {"unknown", unknown}};
  r["p50_ms"] = ok > 0 ? json(p50) : json(nullptr);
  r["p99_ms"] = ok > 0 ? json(p99) : json(nullptr);
  r["max_ms"] = ok > 0 ? json(p99 + 3) : json(nullptr);
  return r;
}

json series() {
  json s = json::object();
  for (const char* dc : {"hz", "sh", "sz"}) {
    for (int t = 0; t < 60; ++t) s[dc].push_back(row(dc, t));
  }
  for (int t = 0; t < 60; ++t) {
    json all = {{"t_s", t}, {"ok", 0}, {"fail", 0}, {"unknown", 0}};
    for (const char* dc : {"hz", "sh", "sz"}) {
      for (const char* k : {"ok", "fail", "unknown"}) all[k] = all[k].get<double>() + s[dc][t][k].get<double>();
    }
    all["p50_ms"] = 3.2, all["p99_ms"] = t >= 10 && t < 13 ? 22.0 : (t >= 35 && t < 41 ? 70.0 : 9.5);
    all["max_ms"] = all["p99_ms"].get<double>() + 5;
    s[""].push_back(all);
  }
  return s;
}

json faults() {
  json cut = {{"step_id", "cut-hz"}, {"operation", "op-1234abcd"}, {"description", "partition {hz} | {sh,sz,users}"},
              {"requested_unix_us", at(9.95)}, {"active_unix_us", at(10.0)}, {"revert_sent_unix_us", at(25.0)},
              {"revert_confirmed_unix_us", at(25.04)}, {"revert", "confirmed"}};
  for (const char* h : {"hz-1", "hz-2", "sh-1", "sz-1"}) {
    cut["hosts"].push_back({{"host", h}, {"dc", std::string(h, 2)}, {"activated_unix_us", at(9.99)},
                            {"reverted", true}, {"error", ""}});
  }
  json delay = {{"step_id", "slow-hz-sz"}, {"operation", "op-5678ef01"}, {"description", "link hz<->sz delay 30ms"},
                {"requested_unix_us", at(34.9)}, {"active_unix_us", at(35.0)}, {"revert_sent_unix_us", at(41.02)},
                {"revert_confirmed_unix_us", at(41.1)}, {"revert", "confirmed"}};
  for (const char* h : {"hz-1", "sz-1"}) {
    delay["hosts"].push_back({{"host", h}, {"dc", std::string(h, 2)}, {"activated_unix_us", at(34.98)},
                              {"reverted", true}, {"error", ""}});
  }
  return json::array({cut, delay});
}

json steps() {
  auto step = [](int i, const char* id, const char* kind, const char* summary, double from, double to,
                 const char* result) {
    return json{{"path", "steps[" + std::to_string(i) + "]"}, {"id", id}, {"kind", kind}, {"summary", summary},
                {"started_unix_us", at(from)}, {"ended_unix_us", at(to)}, {"result", result}, {"detail", ""}};
  };
  return json::array({step(0, "steady", "wait", "wait 10s", 0, 9.95, "ok"),
                      step(1, "cut-hz", "inject", "partition isolate hz for 15s", 9.95, 25.04, "ok"),
                      step(2, "failover", "expect", "rto and lost payments", 25.04, 25.1, "failed"),
                      step(3, "slow-hz-sz", "inject", "link hz:sz delay 30ms for 20s", 34.9, 41.1, "aborted"),
                      step(4, "failback", "run", "POST /admin/failback", 41.1, 41.1, "skipped")});
}

json expectation(const char* path, const char* metric, const char* dc, const char* op, double value,
                 const char* unit, json measured, const char* result, const std::string& detail) {
  return {{"path", path}, {"step_id", "failover"}, {"metric", metric}, {"dc", dc}, {"op", op}, {"value", value},
          {"between", nullptr}, {"unit", unit}, {"window", {{"from_unix_us", at(10)}, {"to_unix_us", at(25.04)}}},
          {"measured", measured}, {"result", result}, {"detail", detail}};
}

void add_checks(json& report) {
  report["expectations"] = json::array(
      {expectation("steps[2].expect[0]", "rto", "hz", "<=", 5, "s", 3.1, "pass", ""),
       expectation("steps[2].expect[1]", "latency_p99", "hz", "<=", 0.05, "s", 0.071, "fail", kTrickyText),
       expectation("steps[2].expect[2]", "unknown_count", "", "==", 0, "count", nullptr, "unknown",
                   "the ledger snapshot could not be read"),
       expectation("steps[2].expect[3]", "success_rate", "sz", ">=", 0.99, "fraction", 0.995, "pass", "")});
  report["guards"] = json::array(
      {{{"name", "collapse"}, {"path", "guards[0]"}, {"metric", "success_rate"}, {"dc", ""}, {"op", ">="},
        {"value", 0.5}, {"window_s", 2.0}, {"for", 3}, {"tripped", false}, {"breach_unix_us", nullptr},
        {"measured", nullptr}, {"revert_sent_unix_us", nullptr}, {"revert_confirmed_unix_us", nullptr}},
       {{"name", "slow <hz&sz>"}, {"path", "guards[1]"}, {"metric", "success_rate"}, {"dc", "hz"}, {"op", ">="},
        {"value", 0.7}, {"window_s", 2.0}, {"for", 3}, {"tripped", true}, {"breach_unix_us", at(41.0)},
        {"measured", 0.6}, {"revert_sent_unix_us", at(41.02)}, {"revert_confirmed_unix_us", at(41.1)}}});
  report["invariants"] = json::array(
      {{{"name", "conserved"}, {"result", "pass"}, {"detail", "sum of balances 1000000 before and after"}},
       {{"name", "no_lost"}, {"result", "pass"}, {"detail", ""}},
       {{"name", "unknown_resolved"}, {"result", "unknown"}, {"detail", "3 outcomes not found in the ledger yet"}}});
}

json failover() {
  auto figures = [](json det, json rto, json gap, json before, json during, json after) {
    return json{{"detection_ms", det}, {"rto_ms", rto}, {"longest_gap_ms", gap},
                {"p99_before_ms", before}, {"p99_during_ms", during}, {"p99_after_ms", after}};
  };
  return json::array(
      {{{"fault", "cut-hz"}, {"edge", "start"}, {"at_unix_us", at(10)},
        {"per_dc", {{"hz", figures(80, 3100, 3200, 9, 40, 10)}, {"sh", figures(nullptr, nullptr, 0, 9, 9.4, 9)}}}},
       {{"fault", "cut-hz"}, {"edge", "end"}, {"at_unix_us", at(25.04)},
        {"per_dc", {{"hz", figures(0, 0, 900, 10, 12, 9)}}}}});
}

}  // namespace

json sample_report() {
  json r = {{"format", "injector-drill-report/1"},
            {"playbook", {{"name", "fiber-cut-hangzhou"}, {"description", "hz cut off for 15 s, then a slow link"},
                          {"file", "playbooks/fiber-cut-hangzhou.yaml"}, {"vars", {{"hold", "15s"}}},
                          {"resolved", json::object()}}},
            {"run", {{"started_unix_us", kSampleStartUs}, {"ended_unix_us", at(60)}, {"no_faults", false},
                     {"forced", false}, {"inventory", "/run/injector/lab/inventory.yaml"},
                     {"report_dir", "reports/sample"}, {"interrupted", false}}},
            {"verdict", {{"result", "guard_aborted"}, {"exit_code", 22},
                         {"reason", "guard 'slow <hz&sz>' tripped at +41.0 s: success rate 0.6 in hz (must be >= 0.7)"}}},
            {"datacenters", {"hz", "sh", "sz"}}};
  r["series"] = series();
  r["steps"] = steps();
  r["faults"] = faults();
  add_checks(r);
  r["rollback"] = {{"result", "confirmed"}, {"unconfirmed_hosts", json::array()}};
  r["payments"] = {{"sent", 18000}, {"ok", 17421}, {"failed", 489}, {"unknown", 90}, {"lost", 0},
                   {"duplicated", 0}, {"phantom", 0}};
  r["failover"] = failover();
  r["probes"] = json::array({{{"name", "checkout"}, {"kind", "http"}, {"ok", 58}, {"fail", 2}, {"unknown", 0}}});
  return r;
}

}  // namespace injector::report::testing
