#include "injector/fleet/operations.h"

#include <algorithm>
#include <thread>

#include "common/fault_json.h"
#include "injector/cli.h"
#include "injector/stop_signal.h"

namespace injector::fleet {
namespace {

std::string operation_query(const std::string& operation) {
  return operation.empty() ? "" : cli::label_query({std::string(kOperationLabel) + "=" + operation});
}

}  // namespace

bool ApplyReport::ok() const {
  auto all_ok = [](const std::vector<HostResult>& v) {
    return std::all_of(v.begin(), v.end(), [](const HostResult& r) { return r.ok(); });
  };
  return !applied.empty() && all_ok(prepared) && all_ok(applied);
}

std::optional<Clock::time_point> activated_at(const HostResult& commit) {
  if (!commit.ok() || !commit.body.contains("activated_at_unix_us")) return std::nullopt;
  return Clock::time_point(std::chrono::microseconds(commit.body["activated_at_unix_us"].get<std::int64_t>()));
}

std::vector<const Host*> all_hosts(const Inventory& inv) {
  std::vector<const Host*> out;
  for (const auto& h : inv.hosts) out.push_back(&h);
  return out;
}

std::vector<const Host*> plan_hosts(const Plan& plan) {
  std::vector<const Host*> out;
  for (const auto& f : plan.faults) {
    if (std::find(out.begin(), out.end(), f.host) == out.end()) out.push_back(f.host);
  }
  return out;
}

namespace {

bool all_ok(const std::vector<HostResult>& results) {
  return std::all_of(results.begin(), results.end(), [](const HostResult& r) { return r.ok(); });
}

std::vector<HostCall> per_fault(const Plan& plan, const std::vector<HostResult>& prepared, const std::string& method,
                                const std::string& suffix, const std::string& body) {
  std::vector<HostCall> calls;
  for (std::size_t i = 0; i < plan.faults.size(); ++i) {
    calls.push_back({plan.faults[i].host, method, "/v1/faults/" + prepared[i].body.value("id", "") + suffix, body});
  }
  return calls;
}

// How far ahead to arm: long enough for every commit to arrive first, judged
// by a round trip to every daemon just before (1.5x the slowest, plus 2 ms).
std::chrono::microseconds arming_margin(const Plan& plan, const CallOptions& options) {
  std::vector<HostCall> pings;
  for (const Host* h : plan_hosts(plan)) pings.push_back({h, "GET", "/v1/health", {}});
  CallOptions together = options;
  together.together = true;
  Clock::duration slowest{0};
  for (const auto& r : call_all(pings, together)) slowest = std::max(slowest, r.answered - r.sent);
  const auto margin = std::chrono::duration_cast<std::chrono::microseconds>(slowest * 3 / 2) + std::chrono::milliseconds(2);
  return std::clamp<std::chrono::microseconds>(margin, std::chrono::milliseconds(5), std::chrono::seconds(5));
}

// Every fault armed for the same moment; then each host is asked what happened.
std::vector<HostResult> commit_together(const Plan& plan, const std::vector<HostResult>& prepared, ApplyReport& report,
                                        const CallOptions& options) {
  const auto margin = arming_margin(plan, options);
  const auto at = Clock::now() + margin;
  const auto at_us = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  CallOptions together = options;
  together.together = true;
  together.released = &report.commit_sent;
  auto armed = call_all(per_fault(plan, prepared, "POST", "/commit", "{\"at_unix_us\": " + std::to_string(at_us) + "}"), together);
  if (!all_ok(armed)) return armed;
  std::this_thread::sleep_until(at + std::max<Clock::duration>(margin / 2, std::chrono::milliseconds(5)));
  for (int attempt = 0;; ++attempt) {
    auto state = call_all(per_fault(plan, prepared, "GET", "", {}), options);
    const bool active = std::all_of(state.begin(), state.end(), [](const HostResult& r) { return activated_at(r).has_value(); });
    if (active || attempt == 20) {
      for (auto& r : state) {
        if (!r.ok() || activated_at(r)) continue;
        r.error = "not active after its commit time (state " + r.body.value("state", "?") + ")";
        r.status = 0;
      }
      return state;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

ApplyReport apply_plan(const Plan& plan, const CallOptions& options) {
  std::vector<HostCall> prepares;
  for (const auto& f : plan.faults) prepares.push_back({f.host, "POST", "/v1/faults/prepare", to_request_json(f.spec).dump()});
  ApplyReport report;
  report.prepared = call_all(prepares, options);
  if (all_ok(report.prepared)) report.applied = commit_together(plan, report.prepared, report, options);
  // Undo by label on every host of the plan, not only the ones that said yes:
  // a host that timed out may still have prepared or committed its fault.
  if (!report.ok()) report.rollback = revert_on(plan_hosts(plan), plan.operation, options);
  return report;
}

std::vector<HostResult> revert_on(const std::vector<const Host*>& hosts, const std::string& operation,
                                  const CallOptions& options) {
  std::vector<HostCall> calls;
  for (const Host* h : hosts) calls.push_back({h, "DELETE", "/v1/faults" + operation_query(operation), {}});
  return call_all(calls, options);
}

bool wait_until_expired(const std::vector<const Host*>& hosts, const std::string& operation,
                        std::chrono::milliseconds timeout, const CallOptions& options) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::vector<HostCall> calls;
  for (const Host* h : hosts) calls.push_back({h, "GET", "/v1/faults" + operation_query(operation), {}});
  for (;;) {
    const auto results = call_all(calls, options);
    const bool none = std::all_of(results.begin(), results.end(), [](const HostResult& r) {
      return r.ok() && r.body.value("faults", nlohmann::json::array()).empty();
    });
    if (none) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

HoldStatus hold_plan(const Plan& plan, const ApplyReport& report, std::chrono::milliseconds lease,
                     std::chrono::steady_clock::time_point until, const CallOptions& options) {
  using Steady = std::chrono::steady_clock;
  std::vector<HostCall> renewals;
  for (std::size_t i = 0; i < plan.faults.size(); ++i) {
    const std::string id = report.applied[i].body.value("id", "");
    renewals.push_back({plan.faults[i].host, "POST", "/v1/faults/" + id + "/lease", {}});
  }
  HoldStatus status;
  cli::watch_stop_signals();
  const auto period = std::max<Steady::duration>(lease / 3, std::chrono::milliseconds(30));
  for (auto next = Steady::now() + period;; next += period) {
    cli::sleep_until_or_stop(std::min(next, until));
    if (cli::stop_requested()) {
      status.stopped_by_signal = true;
      return status;
    }
    if (Steady::now() >= until) return status;
    status.failures.clear();
    bool gone = false;
    for (auto& r : call_all(renewals, options)) {
      gone = gone || r.status == 404;
      if (!r.ok()) status.failures.push_back(std::move(r));
    }
    // A fault that is gone (its lease lapsed, or someone reverted it) means
    // the fleet no longer has the fault asked for; unreachable hosts are
    // retried, since their lease outlives two missed renewals.
    if (gone) return status;
  }
}

}  // namespace injector::fleet
