#include "daemon/tc/slot_plan.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/tc/netem.h"

namespace {

using injector::BandwidthImpairment;
using injector::ChanceImpairment;
using injector::CutImpairment;
using injector::DelayImpairment;
using injector::Distribution;
using injector::FlapImpairment;
using injector::GilbertElliott;
using injector::Impairments;
using injector::LossImpairment;
using injector::ReorderImpairment;
using injector::tc::LeafKind;
using injector::tc::NetemParams;
using injector::tc::plan_slot;
using injector::tc::probability;
using injector::tc::SlotPlan;
using namespace std::chrono_literals;

constexpr std::uint32_t kAlways = std::numeric_limits<std::uint32_t>::max();
constexpr const char* kDebianNormal = "/usr/lib/x86_64-linux-gnu/tc/normal.dist";

TEST(SlotPlan, Probability) {
  EXPECT_EQ(probability(0), 0u);
  EXPECT_EQ(probability(100), kAlways);
  EXPECT_NEAR(static_cast<double>(probability(50)), kAlways / 2.0, 1.0);
  EXPECT_NEAR(static_cast<double>(probability(1)), kAlways / 100.0, 1.0);
  EXPECT_NEAR(static_cast<double>(probability(0.1)), kAlways / 1000.0, 1.0);
  EXPECT_LT(probability(25), probability(25.5));
  EXPECT_EQ(probability(-5), 0u);  // clamped
  EXPECT_EQ(probability(150), kAlways);
}

TEST(SlotPlan, CutIsBlackhole) {
  Impairments imp;
  imp.cut = CutImpairment{};
  const SlotPlan plan = plan_slot(imp);
  EXPECT_EQ(plan.leaf, LeafKind::blackhole);
  EXPECT_FALSE(plan.rate_bytes);
  EXPECT_EQ(plan.netem, NetemParams{});
}

TEST(SlotPlan, DelayAndLossAreNetemInNanosecondsAndScaledProbabilities) {
  Impairments imp;
  imp.delay = DelayImpairment{30ms, 5ms, 25, Distribution::normal};
  imp.loss = LossImpairment{1, 10, std::nullopt};
  const SlotPlan plan = plan_slot(imp);
  ASSERT_EQ(plan.leaf, LeafKind::netem);
  EXPECT_FALSE(plan.rate_bytes);
  const NetemParams& n = plan.netem;
  EXPECT_EQ(n.delay, std::chrono::nanoseconds(30'000'000));
  EXPECT_EQ(n.jitter, std::chrono::nanoseconds(5'000'000));
  EXPECT_EQ(n.delay_corr, probability(25));
  EXPECT_EQ(n.distribution, Distribution::normal);
  EXPECT_EQ(n.loss, probability(1));
  EXPECT_EQ(n.loss_corr, probability(10));
  EXPECT_FALSE(n.gilbert_elliott);
  EXPECT_EQ(n.duplicate, 0u);
  EXPECT_EQ(n.corrupt, 0u);
  EXPECT_EQ(n.reorder, 0u);
  EXPECT_EQ(n.gap, 0u);
  EXPECT_EQ(n.limit, 10'000u);
}

TEST(SlotPlan, GilbertElliottDuplicateCorruptPassThrough) {
  Impairments imp;
  imp.loss = LossImpairment{0, 0, GilbertElliott{1, 10, 70, 0.1}};
  imp.duplicate = ChanceImpairment{2, 5};
  imp.corrupt = ChanceImpairment{0.5, 50};
  const SlotPlan plan = plan_slot(imp);
  ASSERT_EQ(plan.leaf, LeafKind::netem);
  EXPECT_EQ(plan.netem.loss, 0u);
  ASSERT_TRUE(plan.netem.gilbert_elliott);
  EXPECT_EQ(*plan.netem.gilbert_elliott, (GilbertElliott{1, 10, 70, 0.1}));
  EXPECT_EQ(plan.netem.duplicate, probability(2));
  EXPECT_EQ(plan.netem.duplicate_corr, probability(5));
  EXPECT_EQ(plan.netem.corrupt, probability(0.5));
  EXPECT_EQ(plan.netem.corrupt_corr, probability(50));
  EXPECT_EQ(plan.netem.delay, 0ns);
}

TEST(SlotPlan, ReorderGapAtLeastOne) {
  Impairments imp;
  imp.delay = DelayImpairment{10ms, 0us, 0, Distribution::none};
  imp.reorder = ReorderImpairment{25, 50, 0};
  SlotPlan plan = plan_slot(imp);
  ASSERT_EQ(plan.leaf, LeafKind::netem);
  EXPECT_EQ(plan.netem.reorder, probability(25));
  EXPECT_EQ(plan.netem.reorder_corr, probability(50));
  EXPECT_EQ(plan.netem.gap, 1u);  // netem reorders nothing with gap 0
  imp.reorder->gap = 5;
  plan = plan_slot(imp);
  EXPECT_EQ(plan.netem.gap, 5u);
}

TEST(SlotPlan, BandwidthIsShapedClassWithFifoLeaf) {
  Impairments imp;
  imp.bandwidth = BandwidthImpairment{10'000'000, 0};
  SlotPlan plan = plan_slot(imp);
  EXPECT_EQ(plan.leaf, LeafKind::fifo);
  ASSERT_TRUE(plan.rate_bytes);
  EXPECT_EQ(*plan.rate_bytes, 1'250'000u);
  EXPECT_EQ(plan.burst_bytes, 1'250'000u / 100 + 1600);  // 10 ms of the rate plus a frame
  imp.bandwidth->burst_bytes = 32'768;
  plan = plan_slot(imp);
  EXPECT_EQ(plan.burst_bytes, 32'768u);
  imp.bandwidth = BandwidthImpairment{100'000'000'000ull, 0};
  plan = plan_slot(imp);
  EXPECT_EQ(*plan.rate_bytes, 12'500'000'000ull);
  EXPECT_EQ(plan.burst_bytes, 64u << 20);  // capped
  imp.bandwidth = BandwidthImpairment{1'000, 0};
  plan = plan_slot(imp);
  EXPECT_EQ(*plan.rate_bytes, 125u);
  EXPECT_GE(plan.burst_bytes, 1500u);  // a whole frame at any rate
}

TEST(SlotPlan, BandwidthWithDelayIsNetemUnderShapedClass) {
  Impairments imp;
  imp.delay = DelayImpairment{50ms, 0us, 0, Distribution::none};
  imp.bandwidth = BandwidthImpairment{8'000'000, 0};
  const SlotPlan plan = plan_slot(imp);
  EXPECT_EQ(plan.leaf, LeafKind::netem);
  EXPECT_EQ(plan.netem.delay, 50ms);
  ASSERT_TRUE(plan.rate_bytes);
  EXPECT_EQ(*plan.rate_bytes, 1'000'000u);
}

TEST(SlotPlan, FlapDownIsBlackholeUpIsTheRest) {
  Impairments flap;
  flap.flap = FlapImpairment{1s, 30, 0ms};
  EXPECT_EQ(plan_slot(flap, true).leaf, LeafKind::blackhole);
  const SlotPlan up_alone = plan_slot(flap, false);
  EXPECT_EQ(up_alone.leaf, LeafKind::fifo);
  EXPECT_FALSE(up_alone.rate_bytes);
  EXPECT_EQ(plan_slot(flap), up_alone);  // up is the default

  flap.delay = DelayImpairment{40ms, 0us, 0, Distribution::none};
  EXPECT_EQ(plan_slot(flap, true).leaf, LeafKind::blackhole);
  const SlotPlan up = plan_slot(flap, false);
  ASSERT_EQ(up.leaf, LeafKind::netem);
  EXPECT_EQ(up.netem.delay, 40ms);
  // flap_down means nothing without a flap.
  Impairments delay_only;
  delay_only.delay = flap.delay;
  EXPECT_EQ(plan_slot(delay_only, true).leaf, LeafKind::netem);
}

TEST(SlotPlan, EmptyImpairmentsPlanAPlainFifo) {
  const SlotPlan plan = plan_slot(Impairments{});
  EXPECT_EQ(plan, SlotPlan{});
  EXPECT_EQ(plan.leaf, LeafKind::fifo);
}

TEST(SlotPlan, LoadDistribution) {
  ASSERT_TRUE(std::filesystem::exists(kDebianNormal)) << "iproute2's tables missing: install iproute2";
  const std::vector<std::int16_t> normal = injector::tc::load_distribution(Distribution::normal);
  EXPECT_FALSE(normal.empty());
  EXPECT_TRUE(injector::tc::load_distribution(Distribution::uniform).empty());
  EXPECT_TRUE(injector::tc::load_distribution(Distribution::none).empty());
  EXPECT_FALSE(injector::tc::load_distribution(Distribution::pareto).empty());
  EXPECT_FALSE(injector::tc::load_distribution(Distribution::paretonormal).empty());
}

// The table is every number in the file, comments skipped, in order.
TEST(SlotPlan, LoadDistributionMatchesTheFile) {
  std::ifstream in(kDebianNormal);
  ASSERT_TRUE(in) << kDebianNormal;
  std::vector<std::int16_t> expected;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) continue;
    std::istringstream words(line);
    for (int v; words >> v;) expected.push_back(static_cast<std::int16_t>(v));
  }
  const auto table = injector::tc::load_distribution(Distribution::normal);
  ASSERT_EQ(table.size(), 4096u);  // netem's table size for iproute2's distributions
  EXPECT_EQ(table, expected);
  EXPECT_EQ(table.front(), -32768);
}

}  // namespace
