#include "daemon/tc/handles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <stdexcept>

namespace {

namespace tc = injector::tc;

std::uint32_t major_of(std::uint32_t handle) { return handle >> 16; }
std::uint32_t minor_of(std::uint32_t handle) { return handle & 0xffff; }

TEST(Handles, RootAndPass) {
  EXPECT_EQ(tc::root_handle(), 0xfa170000u);
  EXPECT_EQ(tc::pass_flow(), 0xfa170000u);  // HTB's direct queue
  EXPECT_EQ(tc::kRootMajor, 0xfa17u);
}

TEST(Handles, FirstSlot) {
  EXPECT_EQ(tc::slot_class(1), 0xfa170101u);
  EXPECT_EQ(tc::slot_leaf_handle(1), 0xf0010000u);
  EXPECT_EQ(tc::slot_filter_prio(1, false), 0x1002);
  EXPECT_EQ(tc::slot_filter_prio(1, true), 0x1003);
  EXPECT_EQ(tc::slot_filter_prio(1, false, true), 0x102);  // opted out of the exclusions: ahead of them
  EXPECT_EQ(tc::slot_filter_prio(1, true, true), 0x103);
}

TEST(Handles, LastSlot) {
  EXPECT_EQ(tc::kMaxSlots, 1024);
  EXPECT_EQ(tc::slot_class(tc::kMaxSlots), 0xfa170500u);
  EXPECT_EQ(tc::slot_leaf_handle(tc::kMaxSlots), 0xf4000000u);
  EXPECT_EQ(tc::slot_filter_prio(tc::kMaxSlots, false), 0x1800);
  EXPECT_EQ(tc::slot_filter_prio(tc::kMaxSlots, true), 0x1801);
  EXPECT_EQ(tc::slot_filter_prio(tc::kMaxSlots, false, true), 0x900);
  EXPECT_EQ(tc::slot_filter_prio(tc::kMaxSlots, true, true), 0x901);
}

// HTB asks filters in priority order: ND exemption, opted-out faults, the
// exclusions, then every other fault.
TEST(Handles, ExclusionsSitBetweenOptedOutFaultsAndTheRest) {
  for (int s = 1; s <= tc::kMaxSlots; ++s) {
    for (bool v6 : {false, true}) {
      EXPECT_GT(tc::slot_filter_prio(s, v6, true), tc::kNdExemptPrio);
      EXPECT_LT(tc::slot_filter_prio(s, v6, true), tc::kExclusionPrio) << s;
      EXPECT_GT(tc::slot_filter_prio(s, v6, false), tc::kExclusionPrio + 1) << s;
    }
  }
}

TEST(Handles, OutOfRangeThrows) {
  for (int slot : {0, -1, tc::kMaxSlots + 1, 100000}) {
    EXPECT_THROW(tc::slot_class(slot), std::out_of_range) << slot;
    EXPECT_THROW(tc::slot_leaf_handle(slot), std::out_of_range) << slot;
    EXPECT_THROW(tc::slot_filter_prio(slot, false), std::out_of_range) << slot;
    EXPECT_THROW(tc::slot_filter_prio(slot, true), std::out_of_range) << slot;
  }
}

TEST(Handles, EverySlotIsDistinctAndOurs) {
  std::set<std::uint32_t> classes, leaf_majors;
  std::set<std::uint16_t> prios;
  for (int s = 1; s <= tc::kMaxSlots; ++s) {
    const std::uint32_t cls = tc::slot_class(s);
    const std::uint32_t leaf = tc::slot_leaf_handle(s);
    EXPECT_EQ(major_of(cls), tc::kRootMajor) << s;
    EXPECT_NE(cls, tc::pass_flow()) << s;
    EXPECT_NE(minor_of(cls), 0u) << s;
    EXPECT_EQ(minor_of(leaf), 0u) << s;  // a qdisc handle has no minor
    EXPECT_NE(major_of(leaf), tc::kRootMajor) << s;
    EXPECT_NE(major_of(leaf), 0u) << s;
    EXPECT_FALSE(tc::is_our_root(leaf)) << s;
    classes.insert(cls);
    leaf_majors.insert(major_of(leaf));
    const std::uint16_t v4 = tc::slot_filter_prio(s, false), v6 = tc::slot_filter_prio(s, true);
    EXPECT_NE(v4, v6) << s;
    EXPECT_NE(v4, tc::kNdExemptPrio) << s;
    EXPECT_NE(v6, tc::kNdExemptPrio) << s;
    EXPECT_GT(v4, 0) << s;
    prios.insert(v4);
    prios.insert(v6);
  }
  EXPECT_EQ(classes.size(), static_cast<std::size_t>(tc::kMaxSlots));
  EXPECT_EQ(leaf_majors.size(), static_cast<std::size_t>(tc::kMaxSlots));
  EXPECT_EQ(prios.size(), static_cast<std::size_t>(2 * tc::kMaxSlots));  // no collisions across slots
}

TEST(Handles, IsOurRoot) {
  EXPECT_TRUE(tc::is_our_root(tc::root_handle()));
  EXPECT_TRUE(tc::is_our_root(0xfa170000u));
  EXPECT_FALSE(tc::is_our_root(0x00010000u));  // "1:", what tc users usually pick
  EXPECT_FALSE(tc::is_our_root(0));
  EXPECT_FALSE(tc::is_our_root(0xfa160000u));
  EXPECT_FALSE(tc::is_our_root(0x0000fa17u));
}

TEST(Handles, FirstFreeSlot) {
  EXPECT_EQ(tc::first_free_slot([](int) { return false; }), 1);
  EXPECT_EQ(tc::first_free_slot([](int s) { return s <= 2; }), 3);
  EXPECT_EQ(tc::first_free_slot([](int s) { return s != 2; }), 2);  // a hole is reused first
  EXPECT_EQ(tc::first_free_slot([](int s) { return s != tc::kMaxSlots; }), tc::kMaxSlots);
  EXPECT_EQ(tc::first_free_slot([](int) { return true; }), 0);
  int asked_max = 0, asked_min = 1 << 30;
  tc::first_free_slot([&](int s) {
    asked_max = std::max(asked_max, s);
    asked_min = std::min(asked_min, s);
    return true;
  });
  EXPECT_EQ(asked_min, 1);
  EXPECT_EQ(asked_max, tc::kMaxSlots);
}

}  // namespace
