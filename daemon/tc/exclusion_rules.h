#pragma once
// The control-path exclusions (common/exclusion.h) as u32 rules for one side
// of a device: on egress the local port is the source port and the peer the
// destination, on ingress (the ifb sees arriving packets) the reverse. Pure,
// so the plan is unit-tested without a kernel. ARP is not IP, so no u32 rule
// on IP fields (ETH_P_IP / ETH_P_IPV6 filters) ever sees it: HTB's direct
// queue (unmatched traffic's) carries it past every fault.

#include <vector>

#include "common/exclusion.h"
#include "daemon/tc/u32_keys.h"

namespace injector::tc {

std::vector<U32Rule> exclusion_rules(const std::vector<Exclusion>& exclusions, Direction side);

}  // namespace injector::tc
