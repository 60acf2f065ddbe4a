#include "daemon/tc/u32_hash.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <map>

#include "daemon/tc/handles.h"
#include "daemon/tc/u32_filter.h"

namespace injector::tc {
namespace {

// Address word offsets, as u32_keys.cpp lays them out. Only used to break ties
// in favour of the destination: a cut's targets are usually its destinations.
constexpr int kV4Src = 12, kV4Dst = 16, kV6Src = 8, kV6Dst = 24, kV6AddrBytes = 16;
constexpr unsigned kMaxShift = 24;  // 8 bits must fit in the 32-bit word
constexpr std::uint32_t kFirstAutoHtid = 0x800;  // the kernel's ids for root tables start here

int preference(Family family, int offset) {
  const int dst = family == Family::v4 ? kV4Dst : kV6Dst;
  const int src = family == Family::v4 ? kV4Src : kV6Src;
  const int span = family == Family::v4 ? 4 : kV6AddrBytes;
  if (offset >= dst && offset < dst + span) return 0;
  if (offset >= src && offset < src + span) return 1;
  return 2;
}

struct Candidate {
  HashKey key;
  int rank = 0;
};

// Worth trying per key word: the lowest 8 bits each rule's mask fixes there (its
// "last fully covered byte", generalised to prefixes that end mid-byte, such as
// /20s), and the four byte positions (for sets whose last bytes are all alike).
std::vector<Candidate> candidates(const std::vector<U32Rule>& rules, Family family) {
  std::map<int, std::uint32_t> shifts_at;  // offset -> bit set of shifts 0..24
  constexpr std::uint32_t kBytes = (1u << 0) | (1u << 8) | (1u << 16) | (1u << 24);
  for (const auto& rule : rules) {
    if (rule.family != family) continue;
    for (const auto& k : rule.keys) {
      const std::uint32_t mask = ntohl(k.mask);
      if (mask == 0) continue;
      const auto low = std::min<unsigned>(static_cast<unsigned>(std::countr_zero(mask)), kMaxShift);
      shifts_at[k.offset] |= kBytes | (1u << low);
    }
  }
  std::vector<Candidate> out;
  for (const auto& [offset, shifts] : shifts_at) {
    for (unsigned s = 0; s <= kMaxShift; ++s) {
      if (shifts & (1u << s)) out.push_back({{offset, s}, preference(family, offset)});
    }
  }
  // Stable, so equal ranks keep (offset, shift) order and the choice is deterministic.
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.rank < b.rank; });
  return out;
}

// What a packet walks at worst under this key: every unhashable rule, then the fullest bucket.
std::size_t worst_case_walk(const std::vector<U32Rule>& rules, Family family, const HashKey& hk) {
  std::array<std::size_t, kHashBuckets> filled{};
  std::size_t unhashable = 0;
  for (const auto& rule : rules) {
    if (rule.family != family) continue;
    if (const auto b = bucket_of(rule, hk)) {
      ++filled[*b];
    } else {
      ++unhashable;
    }
  }
  return unhashable + *std::max_element(filled.begin(), filled.end());
}

void add_linear(nl::Batch& batch, int ifindex, std::uint16_t prio, const std::vector<U32Rule>& rules,
                Family family, std::uint32_t classid) {
  for (const auto& rule : rules) {
    if (rule.family == family) add_u32_filter(batch, ifindex, prio, rule, classid);
  }
}

void add_family(nl::Batch& batch, int ifindex, int slot, const std::vector<U32Rule>& rules, Family family,
                std::uint32_t classid, bool ahead) {
  const std::uint16_t prio = slot_filter_prio(slot, family == Family::v6, ahead);
  const auto htid = hash_table_id(slot, family, ahead);
  const HashPlan plan = htid ? plan_hash(rules, family) : HashPlan{};
  if (!plan.hashed) {
    add_linear(batch, ifindex, prio, rules, family, classid);
    return;
  }
  // Table and its entries first, the link last: the kernel handles requests in
  // order, so the hashed rules start steering all at once, when the link appears.
  add_u32_hash_table(batch, ifindex, prio, family, *htid, kHashBuckets);
  const auto nodes = bucket_node_ids(plan);
  for (std::size_t i = plan.buckets.size(); i-- > 0;) {
    const auto& e = plan.buckets[i];
    add_u32_filter_in_bucket(batch, ifindex, prio, rules[e.rule], classid, U32Bucket{*htid, e.bucket, nodes[i]});
  }
  // Unhashable rules sit in the root table before the link. Order does not change
  // which packets match (all rules lead to the same class, and u32 falls back from
  // an exhausted bucket to the root), but a packet too short for the hashed word
  // ends u32's walk there, and it must not skip these rules on the way.
  for (const std::size_t i : plan.linear) add_u32_filter(batch, ifindex, prio, rules[i], classid);
  add_u32_hash_link(batch, ifindex, prio, family, *htid, plan.key.offset, plan.key.host_mask());
}

}  // namespace

std::vector<std::uint16_t> bucket_node_ids(const HashPlan& plan) {
  constexpr std::uint32_t kMaxNode = 0xfff;
  std::array<std::uint32_t, kHashBuckets> used{};
  std::vector<std::uint16_t> ids;
  ids.reserve(plan.buckets.size());
  for (const auto& e : plan.buckets) {
    const std::uint32_t node = ++used[e.bucket];
    ids.push_back(static_cast<std::uint16_t>(node <= kMaxNode ? node : 0));
  }
  return ids;
}

std::optional<std::uint8_t> bucket_of(const U32Rule& rule, const HashKey& hk) {
  const std::uint32_t window = hk.host_mask();
  for (const auto& k : rule.keys) {
    if (k.offset != hk.offset || (ntohl(k.mask) & window) != window) continue;
    // The kernel's u32_hash_fold: (ntohl(word & hmask) >> lowest set bit of hmask), then & (divisor - 1).
    return static_cast<std::uint8_t>((ntohl(k.value) & window) >> hk.shift);
  }
  return std::nullopt;
}

HashPlan plan_hash(const std::vector<U32Rule>& rules, Family family) {
  HashPlan plan;
  const auto n = static_cast<std::size_t>(
      std::count_if(rules.begin(), rules.end(), [&](const U32Rule& r) { return r.family == family; }));
  std::optional<HashKey> best;
  std::size_t best_walk = n;  // a hash must beat walking all n rules
  if (n >= kHashMinRules) {
    for (const auto& c : candidates(rules, family)) {
      const std::size_t walk = worst_case_walk(rules, family, c.key);
      if (walk < best_walk) {
        best_walk = walk;
        best = c.key;
      }
    }
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].family != family) continue;
    const auto b = best ? bucket_of(rules[i], *best) : std::nullopt;
    if (b) {
      plan.buckets.push_back({i, *b});
    } else {
      plan.linear.push_back(i);
    }
  }
  plan.hashed = best.has_value();
  if (best) plan.key = *best;
  return plan;
}

std::optional<std::uint32_t> hash_table_for_prio(std::uint16_t prio) {
  // Slot priorities start at kAheadSlotPrioBase or kSlotPrioBase (handles.h), so
  // this maps either range onto 1, 2, 3, ...
  std::uint32_t htid = 0;
  if (prio >= kSlotPrioBase) {
    htid = prio - (kSlotPrioBase - 1u);
  } else if (prio >= kAheadSlotPrioBase && prio < kExclusionPrio) {
    htid = prio - (kAheadSlotPrioBase - 1u);
  } else {
    return std::nullopt;
  }
  if (htid >= kFirstAutoHtid) return std::nullopt;
  return htid;
}

std::optional<std::uint32_t> hash_table_id(int slot, Family family, bool ahead_of_exclusions) {
  return hash_table_for_prio(slot_filter_prio(slot, family == Family::v6, ahead_of_exclusions));
}

void add_slot_filters(nl::Batch& batch, int ifindex, int slot, const std::vector<U32Rule>& rules,
                      std::uint32_t classid, bool ahead_of_exclusions) {
  for (const Family family : {Family::v4, Family::v6}) {
    add_family(batch, ifindex, slot, rules, family, classid, ahead_of_exclusions);
  }
}

}  // namespace injector::tc
