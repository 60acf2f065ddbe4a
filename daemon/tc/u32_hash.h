#pragma once
// Hashed u32 classification for large rule sets. A fault with 10,000 targets
// as one linear u32 chain makes every packet on the device (also untouched
// traffic) walk 10,000 filters. Instead, per slot and family:
//
//   root table (prio of the slot):  rules that cannot be hashed, then one link
//                                   filter "hashkey <8 bits of one word> link H:"
//   hash table H: (divisor 256):    every other rule, in bucket = those 8 bits
//
// so a packet walks the few unhashable rules plus one bucket. Each rule keeps
// all its keys (the bucket only narrows the search), so a packet is steered to
// the slot's class iff some rule matches, exactly as in the linear chain.
//
// The planner is pure (no kernel) and unit-tested; install goes through
// nl::Batch like every other filter.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "daemon/netlink/batch.h"
#include "daemon/tc/u32_keys.h"

namespace injector::tc {

// Below this many rules a linear chain is as fast and simpler to read in `tc filter show`.
inline constexpr std::size_t kHashMinRules = 16;
// The kernel's maximum number of buckets per u32 hash table (and so 8 hashed bits).
inline constexpr std::uint32_t kHashBuckets = 256;

// The 8 bits a hashed plan buckets on: bits [shift, shift + 8) of the 32-bit
// word at `offset` (bytes from the IP header), counted from the least
// significant bit in host order. shift 0 at offset 16 is the last byte of the
// IPv4 destination, i.e. tc's "hashkey mask 0x000000ff at 16".
struct HashKey {
  int offset = 0;
  unsigned shift = 0;  // 0..24
  std::uint32_t host_mask() const { return 0xffu << shift; }
  friend bool operator==(const HashKey&, const HashKey&) = default;
};

struct BucketedRule {
  std::size_t rule = 0;  // index into the planner's input
  std::uint8_t bucket = 0;
  friend bool operator==(const BucketedRule&, const BucketedRule&) = default;
};

struct HashPlan {
  bool hashed = false;
  HashKey key;                        // meaningful only when hashed
  std::vector<std::size_t> linear;    // indices, in input order: the root table's own rules
  std::vector<BucketedRule> buckets;  // indices, in input order: the hash table's rules
};

// Plans the rules of `family` among `rules` (others are ignored, so one mixed
// list can be planned per family without copying). Linear when there are fewer
// than kHashMinRules of them or no hash beats the linear chain; otherwise the
// key whose worst case (unhashable rules + fullest bucket) is smallest.
HashPlan plan_hash(const std::vector<U32Rule>& rules, Family family);

// The node id of each of plan.buckets' entries (same order): 1, 2, ... within
// each bucket, in rule order. u32 keeps a bucket sorted by node id and walks it
// to insert, so sending each bucket's rules highest id first makes every
// insert O(1); the kernel's own ids ascend, and a bucket of n rules costs n^2/2.
// Past u32's 12-bit node space (0xfff rules in one bucket) the id is 0: the kernel picks.
std::vector<std::uint16_t> bucket_node_ids(const HashPlan& plan);

// The 8 bits of a rule's key at hk.offset, if one of its keys there fixes all of them.
std::optional<std::uint8_t> bucket_of(const U32Rule& rule, const HashKey& hk);

// Our hash table id (u32 "htid", 12 bits) for the filters at `prio`:
// 1 + 2 * slot + (IPv6 ? 1 : 0), from either of a slot's two priority ranges
// (handles.h; a slot uses one of them, so the ids never clash). Table ids are shared by every u32 filter
// on the qdisc, and the kernel hands out 0x800 and up to each priority's root
// table, so ours stay in 1..0x7ff; nullopt where that is impossible (slots
// above 1022 for IPv6, 1023 for IPv4): those slots install linearly.
std::optional<std::uint32_t> hash_table_for_prio(std::uint16_t prio);
std::optional<std::uint32_t> hash_table_id(int slot, Family family, bool ahead_of_exclusions = false);

// Adds one slot's filters for all of `rules` (either family) to the batch,
// hashed or linear per family as plan_hash decides, steering into `classid`.
// Hash tables are removed by delete_u32_filters with the slot's priority.
// ahead_of_exclusions: at the slot's priorities ahead of the control-path exclusions.
void add_slot_filters(nl::Batch& batch, int ifindex, int slot, const std::vector<U32Rule>& rules,
                      std::uint32_t classid, bool ahead_of_exclusions);

}  // namespace injector::tc
