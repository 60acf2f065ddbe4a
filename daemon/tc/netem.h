#pragma once
// The netem leaf qdisc, built by hand: libnl 3.7 has no setters for 64-bit
// delays or loss models, and its netem options block cannot be extended, so
// the whole TCA_OPTIONS (struct tc_netem_qopt followed by netem attributes,
// as the kernel parses it) is written here with libnl's message API.

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/netlink/batch.h"
#include "daemon/tc/leaf.h"
#include "daemon/tc/slot_plan.h"

namespace injector::tc {

void add_netem_qdisc(nl::Batch& batch, int ifindex, std::uint32_t parent, std::uint32_t handle,
                     const NetemParams& params, LeafOp op);

// iproute2's distribution tables (normal, pareto, paretonormal); Debian keeps
// them in /usr/lib/x86_64-linux-gnu/tc, where libnl does not look. Empty for
// none and uniform (netem's built-in jitter is uniform).
std::vector<std::int16_t> load_distribution(Distribution d);

}  // namespace injector::tc
