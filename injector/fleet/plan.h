#pragma once
// Turns a datacenter-level fault into per-host faults: which host, which
// device, which peer networks. Pure: no daemon is contacted, so --dry-run
// prints exactly what a real run would send.
//
// Semantics (docs/fleet.md): every fault acts on a host's egress toward the
// peer datacenters' networks. A two-way partition or link therefore puts a
// fault on the hosts of both sides; --one-way only on the first side's hosts.
// A delay applied both ways raises the round trip by twice the delay.

#include <map>
#include <string>
#include <vector>

#include "common/fault_spec.h"
#include "injector/fleet/inventory.h"

namespace injector::fleet {

// Every per-host fault of one fleet operation carries this label with the
// operation's id, which `status` shows and `revert --op` takes.
inline constexpr const char* kOperationLabel = "fleet.op";

struct HostFault {
  const Host* host = nullptr;  // into the inventory, which must outlive the plan
  std::vector<std::string> peers;  // the datacenters its traffic toward is faulted
  FaultSpec spec;
};

struct Plan {
  std::string operation;    // id shared by every fault of the plan
  std::string description;  // e.g. "partition {hz} | {sh,sz}"
  std::vector<HostFault> faults;
};

// What every per-host fault shares.
struct PlanOptions {
  std::string operation;  // empty: a fresh id
  Lifetime lifetime;
  Backend backend = Backend::auto_select;
  std::map<std::string, std::string> labels;
};

// Traffic between datacenters of different groups is cut; with one_way only
// traffic from groups[0] to the others. Datacenters in no group are untouched.
Plan plan_partition(const Inventory& inv, const std::vector<std::vector<std::string>>& groups, bool one_way,
                    const PlanOptions& options);
// `dc` against every other datacenter of the inventory.
Plan plan_isolate(const Inventory& inv, const std::string& dc, bool one_way, const PlanOptions& options);
// Any impairment on the traffic between two datacenters; with one_way only
// from `from` to `to`.
Plan plan_link(const Inventory& inv, const std::string& from, const std::string& to, bool one_way,
               const Impairments& impairments, const PlanOptions& options);

// One host's egress toward the networks `to` (device empty: the host's own);
// no peer datacenter.
Plan plan_host(const Inventory& inv, const std::string& host, const std::string& device, const std::vector<Cidr>& to,
               const Impairments& impairments, const PlanOptions& options);

// "op-" and 8 random hex digits.
std::string new_operation_id();

}  // namespace injector::fleet
