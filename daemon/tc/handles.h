#pragma once
// The traffic-control handles the daemon uses. Every object we create hangs
// under one HTB root whose major number is 0xfa17 ("fa17" ~ "fault"), so what
// is ours is recognisable on sight (`tc qdisc show` prints "htb fa17: root")
// and anything else is someone else's.
//
//   fa17:      HTB root, with no default class: unmatched traffic takes
//              HTB's direct queue (unshaped, dequeued first, and cheaper
//              per packet than any class), as do exclusions (flowid fa17:0)
//   fa17:1xx   one class per fault slot s: minor 0x100 + s
//   f0xx:      the leaf qdisc of slot s: major 0xf000 + s, or 0xe000 + s
//              while a replacement leaf of another kind is grafted in
//   prio 1     the ND exemption filters (IPv6 neighbour discovery never cut)
//   prio 0x100 + 2s / 0x101 + 2s   slot s's IPv4 / IPv6 u32 filters, when the
//              fault opted out of the control-path exclusions (control_path include)
//   prio 0xc00 / 0xc01   the control-path exclusions (IPv4 / IPv6): to the direct queue
//   prio 0x1000 + 2s / 0x1001 + 2s   slot s's IPv4 / IPv6 u32 filters otherwise
//
// HTB asks the filters in priority order and the first terminal match wins,
// so a packet matching an exclusion passes every fault behind it, while a
// fault that opted out sits ahead of the exclusions and still sees it.
//
// The kernel keeps one filter chain per (priority, protocol) and refuses a
// second protocol at a used priority, hence two priorities per slot.

#include <cstdint>

namespace injector::tc {

inline constexpr std::uint32_t kRootMajor = 0xfa17;
inline constexpr int kMaxSlots = 1024;  // leaf majors stay below 0xfa17

std::uint32_t root_handle();        // fa17:0
// fa17:0 as a filter's flowid: HTB's direct queue ("X:0 (direct flow)" in sch_htb).
std::uint32_t pass_flow();
std::uint32_t slot_class(int slot);  // fa17:(0x100 + slot)
std::uint32_t slot_leaf_handle(int slot, bool alternate = false);
std::uint32_t other_leaf_handle(std::uint32_t leaf);  // f0xx: <-> e0xx:
// ahead_of_exclusions: the fault opted out of the control-path exclusions.
std::uint16_t slot_filter_prio(int slot, bool ipv6, bool ahead_of_exclusions = false);
inline constexpr std::uint16_t kNdExemptPrio = 1;
inline constexpr std::uint16_t kAheadSlotPrioBase = 0x100;
inline constexpr std::uint16_t kExclusionPrio = 0xc00;  // IPv4; IPv6 at kExclusionPrio + 1
inline constexpr std::uint16_t kSlotPrioBase = 0x1000;

bool is_our_root(std::uint32_t handle);  // major == 0xfa17

// Lowest free slot in [1, kMaxSlots], given a predicate for "in use"; 0 when full.
template <class InUse>
int first_free_slot(InUse in_use) {
  for (int s = 1; s <= kMaxSlots; ++s) {
    if (!in_use(s)) return s;
  }
  return 0;
}

}  // namespace injector::tc
