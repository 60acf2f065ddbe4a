#pragma once
// Warnings in an apply's answer: things that are allowed but that a user
// most likely did not mean, said before the drill depends on them. The fault
// is applied all the same (docs/api.md, "warnings").

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cidr.h"
#include "common/fault_spec.h"
#include "daemon/fault_engine.h"

namespace injector {

struct ApplyWarning {
  std::string code;     // stable, for scripts: "local_matches_no_address", ...
  std::string field;    // the spec field it is about, e.g. "match.local"
  std::string message;  // what it means for traffic and what to do instead
  std::string fault;    // the other fault it is about, if any
};

// Every address of this network namespace (as /32 or /128), read with
// getifaddrs: the device's namespace is the daemon's own.
std::vector<Cidr> host_addresses();

// Whether this network namespace has an interface of that name
// (GET /v1/devices/{name}, which `injector inventory check` asks).
bool device_exists(const std::string& name);

// A local side that covers none of `addresses` matches no packet this host
// sends or receives itself; a router, a Kubernetes node or a host about to
// take over a moving address may still mean it, so it is only a warning.
std::vector<ApplyWarning> local_side_warnings(const FaultSpec& spec, const std::vector<Cidr>& addresses);

// One warning per other fault on the same device whose match may take the
// same packets: impairments do not stack, so it says which fault a packet
// that both match gets (or that both act in turn, across backends).
std::vector<ApplyWarning> overlap_warnings(const Fault& added, const std::vector<const Fault*>& faults);

nlohmann::json to_json(const std::vector<ApplyWarning>& warnings);

}  // namespace injector
