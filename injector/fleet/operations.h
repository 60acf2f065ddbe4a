#pragma once
// Fleet operations on top of the daemons' API: apply a plan everywhere (all or
// nothing), show what is active, revert by operation id or everything.

#include <optional>
#include <string>
#include <vector>

#include "injector/fleet/fleet_client.h"
#include "injector/fleet/plan.h"

namespace injector::fleet {

struct ApplyReport {
  std::vector<HostResult> prepared;  // phase one, one per plan fault, in plan order
  std::vector<HostResult> applied;   // phase two (commit); empty when phase one failed
  std::vector<HostResult> rollback;  // when some host failed: the undo sent to every host of the plan
  Clock::time_point commit_sent{};   // when the commits were released, all at once
  bool ok() const;
  // The answers to show: the commits, or the prepares when it never got that far.
  const std::vector<HostResult>& last_phase() const { return applied.empty() ? prepared : applied; }
};

// Two phases, so the whole fleet flips together: every host prepares its
// fault (checks, journal, device side ready; no traffic matched yet), and only
// when all have, every host is sent its commit at the same moment. If any
// host fails either phase, every host of the plan is asked to revert the
// operation's faults (by its label), so no host keeps half of a
// datacenter-level fault; the report says who failed and why.
ApplyReport apply_plan(const Plan& plan, const CallOptions& options = {});

// When each host's kernel change happened, from the commit answers
// (activated_at_unix_us); nullopt for a host without one.
std::optional<Clock::time_point> activated_at(const HostResult& commit);

// DELETE of the operation's faults (or every fault, op empty) on `hosts`.
std::vector<HostResult> revert_on(const std::vector<const Host*>& hosts, const std::string& operation,
                                  const CallOptions& options = {});
// Polls the operation's faults on `hosts` until none is listed anywhere or
// `timeout` has passed; true when none is left. At the end of --for the
// daemons end the faults themselves, a few milliseconds after the CLI's clock.
bool wait_until_expired(const std::vector<const Host*>& hosts, const std::string& operation,
                        std::chrono::milliseconds timeout, const CallOptions& options = {});
std::vector<const Host*> all_hosts(const Inventory& inv);
std::vector<const Host*> plan_hosts(const Plan& plan);

// Renews the leases of the plan's faults until `until` passes or a stop is
// requested (SIGINT/SIGTERM); returns the hosts whose renewal failed last time.
struct HoldStatus {
  bool stopped_by_signal = false;
  std::vector<HostResult> failures;
};
HoldStatus hold_plan(const Plan& plan, const ApplyReport& report, std::chrono::milliseconds lease,
                     std::chrono::steady_clock::time_point until, const CallOptions& options = {});

}  // namespace injector::fleet
