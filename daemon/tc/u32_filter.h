#pragma once
// Kernel side of a U32Rule: one u32 filter on our HTB root steering matching
// packets into a class.

#include <netlink/msg.h>

#include <cstdint>
#include <optional>

#include "daemon/netlink/batch.h"
#include "daemon/tc/u32_keys.h"

namespace injector::tc {

void add_u32_filter(nl::Batch& batch, int ifindex, std::uint16_t prio, const U32Rule& rule,
                    std::uint32_t classid);

// A bucket of one of our hash tables, as opposed to the priority's root table.
struct U32Bucket {
  std::uint32_t htid = 0;
  std::uint8_t bucket = 0;
  std::uint16_t node = 0;  // the filter's node id in the bucket, 1..0xfff; 0: the kernel picks
};

// The RTM_NEWTFILTER request that add_u32_filter (where = nullopt) and
// add_u32_filter_in_bucket queue; the caller owns it. Built directly, not
// through a libnl classifier object: for a 10,000-rule fault, libnl's object
// churn and page-sized message buffers cost more than the kernel's work. The
// bytes are libnl's own (a unit test compares them).
nl_msg* build_u32_rule_request(int ifindex, std::uint16_t prio, const U32Rule& rule, std::uint32_t classid,
                               std::optional<U32Bucket> where);

// A u32 hash table with our own id `htid` (1..0x7ff) and `divisor` buckets (a
// power of two, at most 256), belonging to the filters at `prio`. Nothing
// reaches it until a link filter (add_u32_hash_link) points at it.
void add_u32_hash_table(nl::Batch& batch, int ifindex, std::uint16_t prio, Family family, std::uint32_t htid,
                        std::uint32_t divisor);

// Like add_u32_filter, but into a bucket of one of our tables instead of the priority's root table.
void add_u32_filter_in_bucket(nl::Batch& batch, int ifindex, std::uint16_t prio, const U32Rule& rule,
                              std::uint32_t classid, const U32Bucket& where);

// A filter in the priority's root table that matches every packet of the
// family and continues in table `htid`, bucket
// (ntohl(word at hash_offset) & host_hash_mask) >> (lowest set bit of host_hash_mask).
// Not terminal: when nothing in the bucket matches, u32 goes on in the root table.
void add_u32_hash_link(nl::Batch& batch, int ifindex, std::uint16_t prio, Family family, std::uint32_t htid,
                       int hash_offset, std::uint32_t host_hash_mask);

// Removes every filter at (prio, family) on our root: a whole fault's chain at
// once, including the hash table add_slot_filters may have made for it.
// Missing filters are not an error (revert must be idempotent).
void delete_u32_filters(const nl::Socket& sock, int ifindex, std::uint16_t prio, Family family);

}  // namespace injector::tc
