#pragma once
// Fleet operations on top of the daemons' API: apply a plan everywhere (all or
// nothing), show what is active, revert by operation id or everything.

#include <string>
#include <vector>

#include "injector/fleet/fleet_client.h"
#include "injector/fleet/plan.h"

namespace injector::fleet {

struct ApplyReport {
  std::vector<HostResult> applied;   // one per plan fault, in plan order
  std::vector<HostResult> rollback;  // when some host failed: the undo sent to every host of the plan
  bool ok() const;
};

// Sends every host its fault at once. If any host fails, every host of the
// plan is asked to revert the operation's faults (by its label), so no host
// keeps half of a datacenter-level fault; the report says who failed and why.
ApplyReport apply_plan(const Plan& plan, const CallOptions& options = {});

// DELETE of the operation's faults (or every fault, op empty) on `hosts`.
std::vector<HostResult> revert_on(const std::vector<const Host*>& hosts, const std::string& operation,
                                  const CallOptions& options = {});
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
