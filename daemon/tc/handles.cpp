#include "daemon/tc/handles.h"

#include <stdexcept>

namespace injector::tc {
namespace {

constexpr std::uint32_t make(std::uint32_t major, std::uint32_t minor) { return (major << 16) | (minor & 0xffff); }

void check_slot(int slot) {
  if (slot < 1 || slot > kMaxSlots) throw std::out_of_range("fault slot " + std::to_string(slot) + " out of range");
}

}  // namespace

std::uint32_t root_handle() { return make(kRootMajor, 0); }
std::uint32_t pass_flow() { return root_handle(); }

std::uint32_t slot_class(int slot) {
  check_slot(slot);
  return make(kRootMajor, 0x100 + static_cast<std::uint32_t>(slot));
}

std::uint32_t slot_leaf_handle(int slot, bool alternate) {
  check_slot(slot);
  return make((alternate ? 0xe000 : 0xf000) + static_cast<std::uint32_t>(slot), 0);
}

std::uint32_t other_leaf_handle(std::uint32_t leaf) { return leaf ^ 0x10000000u; }

std::uint16_t slot_filter_prio(int slot, bool ipv6, bool ahead_of_exclusions) {
  check_slot(slot);
  const int base = ahead_of_exclusions ? kAheadSlotPrioBase : kSlotPrioBase;
  return static_cast<std::uint16_t>(base + 2 * slot + (ipv6 ? 1 : 0));
}

bool is_our_root(std::uint32_t handle) { return (handle >> 16) == kRootMajor; }

}  // namespace injector::tc
