#pragma once
// The blackhole qdisc: drops everything enqueued and counts it. libnl has no
// ops for this kind (rtnl_tc_set_kind would abort), so the RTM_NEWQDISC
// message is built by hand with libnl's core message API.

#include <cstdint>

#include "daemon/netlink/batch.h"

namespace injector::tc {

void add_blackhole_qdisc(nl::Batch& batch, int ifindex, std::uint32_t parent, std::uint32_t handle);

}  // namespace injector::tc
