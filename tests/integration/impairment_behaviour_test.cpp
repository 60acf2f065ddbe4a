// The behaviour every backend must show on real traffic; see
// impairment_behaviour.h. Instantiated per backend by the lane that has it.

#include "integration/impairment_behaviour.h"

namespace injector::testing {
namespace {

using nlohmann::json;

TEST_P(Behaviour, Delay30msRaisesTheMedianRttBy30ms) {
  for (bool v6 : {false, true}) {
    const std::string b = v6 ? ThreeSiteLab::v6('b') : ThreeSiteLab::v4('b');
    const double base = median('a', b);
    const std::string id = apply({{"delay", {{"time_us", 30000}}}}, {v6 ? ThreeSiteLab::v6_net('b') : ThreeSiteLab::v4_net('b')});
    EXPECT_NEAR(median('a', b) - base, 30.0, tolerance(30)) << "v6=" << v6;
    EXPECT_NEAR(median('a', v6 ? ThreeSiteLab::v6('c') : ThreeSiteLab::v4('c'), 100), base, 2.0) << "c is not delayed";
    ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  }
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_P(Behaviour, JitterWithANormalDistributionSpreadsAroundTheDelay) {
  const double base = median('a', ThreeSiteLab::v4('b'));
  apply({{"delay", {{"time_us", 30000}, {"jitter_us", 5000}, {"distribution", "normal"}}}}, {ThreeSiteLab::v4_net('b')});
  auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 300);
  std::vector<double> rtts;
  for (const auto& r : replies) rtts.push_back(r.rtt_ms - base);
  std::sort(rtts.begin(), rtts.end());
  ASSERT_GE(rtts.size(), 250u);
  EXPECT_NEAR(rtts[rtts.size() / 2], 30.0, 1.5) << "median";
  const double p16 = rtts[rtts.size() * 16 / 100], p84 = rtts[rtts.size() * 84 / 100];
  EXPECT_NEAR((p84 - p16) / 2, 5.0, 1.5) << "one standard deviation of a normal jitter of 5 ms";
}

TEST_P(Behaviour, UpdateRampsTheDelayInPlace) {
  const double base = median('a', ThreeSiteLab::v4('b'));
  const std::string id = apply({{"delay", {{"time_us", 10000}}}}, {ThreeSiteLab::v4_net('b')});
  EXPECT_NEAR(median('a', ThreeSiteLab::v4('b')) - base, 10.0, tolerance(10));
  auto u = api("PATCH", "/v1/faults/" + id, json{{"impairments", {{"delay", {{"time_us", 50000}}}}}}.dump());
  ASSERT_EQ(u.status, 200) << u.body.dump();
  EXPECT_EQ(u.body["id"], id) << "the same fault, changed in place";
  if (GetParam() == "netem") {
    EXPECT_EQ(u.body["kernel"].value("leaf", ""), "f001:0") << "netem changed in place, same leaf";
  }
  EXPECT_NEAR(median('a', ThreeSiteLab::v4('b')) - base, 50.0, tolerance(50));
}

TEST_P(Behaviour, Loss20PercentFallsInsideItsBinomialInterval) {
  apply({{"loss", {{"percent", 20}}}}, {ThreeSiteLab::v4_net('b')});
  const int n = 1000;
  const int got = static_cast<int>(ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), n, 0.005).size());
  expect_binomial(n - got, n, 0.20, "lost");
}

TEST_P(Behaviour, GilbertElliottLossComesInBursts) {
  // Stationary share of the bad state: p / (p + r) = 5 / 25 = 20%; mean burst 1 / r = 5 packets.
  apply({{"loss", {{"gilbert_elliott", {{"p_pct", 5}, {"r_pct", 20}}}}}}, {ThreeSiteLab::v4_net('b')});
  const int n = 3000;
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), n, 0.003);
  std::vector<bool> got(n + 1, false);
  for (const auto& r : replies) if (r.seq >= 1 && r.seq <= n) got[static_cast<std::size_t>(r.seq)] = true;
  int lost = 0, bursts = 0;
  for (int i = 1; i <= n; ++i) {
    if (got[static_cast<std::size_t>(i)]) continue;
    ++lost;
    if (i == 1 || got[static_cast<std::size_t>(i - 1)]) ++bursts;
  }
  // Losses of a Markov chain are correlated: the variance of their count is
  // n·π(1-π)·(1+λ)/(1-λ), λ = 1-p-r = 0.75, seven times the binomial one.
  // Judge at 99.9% (3.29 sd): about 6.4 points either way for 3,000 probes.
  const double sd = std::sqrt(n * 0.2 * 0.8 * 7.0) / n;
  EXPECT_NEAR(lost / static_cast<double>(n), 0.20, 3.29 * sd);
  ASSERT_GT(bursts, 0);
  EXPECT_GT(lost / static_cast<double>(bursts), 2.5) << "losses come in bursts, not one by one";
}

TEST_P(Behaviour, DuplicateAndCorruptShowInCounts) {
  const std::string dup = apply({{"duplicate", {{"percent", 10}}}}, {ThreeSiteLab::v4_net('b')});
  const int n = 1000;
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), n, 0.005);
  expect_binomial(static_cast<int>(replies.size()) - n, n, 0.10, "duplicated replies");
  ASSERT_EQ(api("DELETE", "/v1/faults/" + dup).status, 200);
  apply({{"corrupt", {{"percent", 10}}}}, {ThreeSiteLab::v4_net('b')});
  // A corrupted request fails its checksum at b and is not answered.
  const int answered = static_cast<int>(ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), n, 0.005).size());
  expect_binomial(n - answered, n, 0.10, "corrupted requests");
}

TEST_P(Behaviour, ReorderSendsSomePacketsAheadOfDelayedOnes) {
  apply({{"delay", {{"time_us", 20000}}}, {"reorder", {{"percent", 25}}}}, {ThreeSiteLab::v4_net('b')});
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 400, 0.005);
  int fast = 0, overtakes = 0, highest = 0;
  for (const auto& r : replies) {
    if (r.rtt_ms < 10) ++fast;
    if (r.seq < highest) ++overtakes;
    highest = std::max(highest, r.seq);
  }
  expect_binomial(fast, 400, 0.25, "sent at once (undelayed)");
  EXPECT_GT(overtakes, 0) << "replies arrive out of order";
}

TEST_P(Behaviour, DelayLossAndBandwidthCombine) {
  const double base = median('a', ThreeSiteLab::v4('b'));
  apply({{"delay", {{"time_us", 20000}}}, {"loss", {{"percent", 5}}}, {"bandwidth", {{"rate_bps", 10'000'000}}}},
        {ThreeSiteLab::v4_net('b')});
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 400, 0.005);
  EXPECT_NEAR(median_rtt_ms(replies) - base, 20.0, tolerance(20));
  expect_binomial(400 - static_cast<int>(replies.size()), 400, 0.05, "lost");
}

TEST_P(Behaviour, IngressDelayIsMeasuredFromTheOtherSide) {
  const double base = median('b', ThreeSiteLab::v4('a'));
  apply({{"delay", {{"time_us", 30000}}}}, {ThreeSiteLab::v4_net('b')}, "ingress");
  EXPECT_NEAR(median('b', ThreeSiteLab::v4('a')) - base, 30.0, tolerance(30)) << "b's requests wait on a's ingress";
  EXPECT_NEAR(median('c', ThreeSiteLab::v4('a'), 100) - base, 0.0, 2.0) << "c's do not";
}

}  // namespace
}  // namespace injector::testing
