#pragma once
// Kernel side of a U32Rule: one u32 filter on our HTB root steering matching
// packets into a class.

#include <cstdint>

#include "daemon/netlink/batch.h"
#include "daemon/tc/u32_keys.h"

namespace injector::tc {

void add_u32_filter(nl::Batch& batch, int ifindex, std::uint16_t prio, const U32Rule& rule,
                    std::uint32_t classid);

// Removes every filter at (prio, family) on our root: a whole fault's chain at once.
// Missing filters are not an error (revert must be idempotent).
void delete_u32_filters(const nl::Socket& sock, int ifindex, std::uint16_t prio, Family family);

}  // namespace injector::tc
