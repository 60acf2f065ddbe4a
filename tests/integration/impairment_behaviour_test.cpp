// The behaviour every backend must show on real traffic; see
// impairment_behaviour.h. Instantiated per backend by the lane that has it.
// Each test says what it would catch; the error rates are support/stats.h's.

#include <future>

#include "integration/impairment_behaviour.h"

#include "daemon/tc/netem.h"

namespace injector::testing {
namespace {

using nlohmann::json;

// Catches a delay off by max(20%, 5 ms) on either family, or one that leaks to c.
TEST_P(Behaviour, Delay30msRaisesTheMedianRttBy30ms) {
  for (bool v6 : {false, true}) {
    const std::string b = v6 ? ThreeSiteLab::v6('b') : ThreeSiteLab::v4('b');
    const double base = median('a', b);
    const std::string id = apply({{"delay", {{"time_us", 30000}}}}, {v6 ? ThreeSiteLab::v6_net('b') : ThreeSiteLab::v4_net('b')});
    EXPECT_NEAR(median('a', b) - base, 30.0, tolerance(30)) << "v6=" << v6;
    EXPECT_NEAR(median('a', v6 ? ThreeSiteLab::v6('c') : ThreeSiteLab::v4('c')), base, tolerance(0)) << "c is not delayed";
    ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  }
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// Share of a jitter table's draws (t / 8192 standard deviations, as netem and
// the delay line read it) that land within +/- c ms of the delay.
double within(const std::vector<std::int16_t>& table, double sigma_ms, double c_ms) {
  const auto n = std::count_if(table.begin(), table.end(), [&](std::int16_t t) { return std::abs(t) * sigma_ms / 8192 < c_ms; });
  return static_cast<double>(n) / static_cast<double>(table.size());
}

// Catches a standard deviation off by +/-50% (and a median off by the delay
// margin). The statistic: the share of RTTs within one sigma of the delay,
// expected from the normal table itself. Noise assumption: each probe's RTT
// noise plus the baseline's error stays within +/- 1 ms, so the share is in
// [within(sigma, c - 1), within(sigma, c + 1)]; a wrong sigma is judged by its
// most forgiving edge.
TEST_P(Behaviour, JitterWithANormalDistributionSpreadsAroundTheDelay) {
  const double sigma = 10, delay = 50, noise = 1;
  const auto table = tc::load_distribution(Distribution::normal);
  const stats::Alternatives a{within(table, sigma, sigma - noise), within(table, sigma, sigma + noise),
                              within(table, sigma * 1.5, sigma + noise), within(table, sigma * 0.5, sigma - noise)};
  const int n = stats::samples_for(a);
  const double base = median('a', ThreeSiteLab::v4('b'));
  apply({{"delay", {{"time_us", std::lround(delay * 1000)}, {"jitter_us", std::lround(sigma * 1000)}, {"distribution", "normal"}}}},
        {ThreeSiteLab::v4_net('b')});
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), n, kProbeInterval);
  ASSERT_EQ(replies.size(), static_cast<std::size_t>(n)) << "jitter alone loses nothing";
  int inside = 0;
  for (const auto& r : replies) inside += std::abs(r.rtt_ms - base - delay) < sigma;
  const stats::RateTest t = stats::rate_test(n, a);
  EXPECT_TRUE(t.accepts(inside)) << t.explain(inside, "within one sigma");
  std::printf("[ figures  ] %s\n", t.explain(inside, "within one sigma").c_str());
  EXPECT_NEAR(median_rtt_ms(replies) - base, delay, tolerance(delay)) << "median";
}

// Catches an update that does not take effect, or takes a new leaf.
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

// Catches a loss rate off by half (10% or 30% for 20%).
TEST_P(Behaviour, Loss20PercentFallsInsideItsBinomialInterval) {
  apply({{"loss", {{"percent", 20}}}}, {ThreeSiteLab::v4_net('b')});
  const int n = samples(0.20);
  const auto per = replies_per_probe(ThreeSiteLab::v4('b'), n);
  expect_rate(static_cast<int>(std::count(per.begin() + 1, per.end(), 0)), n, 0.20, "lost");
}

// Catches a mean burst (1/r) or a mean gap (1/p) off by +/-50%: the exits out
// of each state over its visits are the chain's own draws (stats.h), so each
// is judged as a rate. Bad state: every probe lost; good: none.
TEST_P(Behaviour, GilbertElliottLossComesInBursts) {
  const double p = 0.10, r = 0.30, bad_share = p / (p + r);
  apply({{"loss", {{"gilbert_elliott", {{"p_pct", std::lround(p * 100)}, {"r_pct", std::lround(r * 100)}}}}}}, {ThreeSiteLab::v4_net('b')});
  const int need_bad = stats::samples_for(stats::sojourn_off_by_half(r));
  const int need_good = stats::samples_for(stats::sojourn_off_by_half(p));
  // A quarter more than the stationary shares need: the visit counts' sd is
  // about 70 here (4x the binomial variance), a quarter short is ~14 sd.
  const int n = static_cast<int>(1.25 * std::max(need_bad / bad_share, need_good / (1 - bad_share)));
  const auto per = replies_per_probe(ThreeSiteLab::v4('b'), n);
  int bad = 0, bad_exits = 0, good = 0, good_exits = 0;
  for (int i = 1; i < n; ++i) {
    const bool lost = per[i] == 0, next_lost = per[i + 1] == 0;
    (lost ? bad : good) += 1;
    (lost ? bad_exits : good_exits) += lost != next_lost;
  }
  ASSERT_GE(bad, need_bad) << "too few losses to judge the bursts";
  ASSERT_GE(good, need_good);
  const stats::RateTest burst = stats::rate_test(bad, stats::sojourn_off_by_half(r));
  const stats::RateTest gap = stats::rate_test(good, stats::sojourn_off_by_half(p));
  EXPECT_TRUE(burst.accepts(bad_exits)) << burst.explain(bad_exits, "bursts ended, of lost probes");
  EXPECT_TRUE(gap.accepts(good_exits)) << gap.explain(good_exits, "gaps ended, of answered probes");
  std::printf("[ figures  ] mean burst %.2f (1/r = %.2f), mean gap %.2f (1/p = %.2f), %d probes\n",
              static_cast<double>(bad) / std::max(bad_exits, 1), 1 / r, static_cast<double>(good) / std::max(good_exits, 1),
              1 / p, n);
}

// The share of corrupted requests that go unanswered. The delay line flips a
// bit of the ICMP message: its checksum always catches one flipped bit, so
// every corrupted probe is lost. netem flips a bit anywhere in the frame
// (skb->data at the root qdisc starts at the Ethernet header): the IP and
// ICMP checksums catch flips there, a flipped ethertype or destination MAC
// (its group bit too: the router forwards PACKET_HOST only) is dropped, but
// the 48 bits of the source MAC are read by nobody and the probe is answered.
double unanswered_when_corrupted(const std::string& backend) {
  if (backend != "netem") return 1.0;
  const double frame_bits = 8 * (14 + 20 + 8 + 56);  // Ethernet, IPv4, ICMP echo, ping's 56 bytes
  return 1 - 48 / frame_bits;
}

// Catches a duplicate rate or a corrupt rate off by half.
TEST_P(Behaviour, DuplicateAndCorruptShowInCounts) {
  const std::string dup = apply({{"duplicate", {{"percent", 10}}}}, {ThreeSiteLab::v4_net('b')});
  const int n = samples(0.10);
  // One probe more: ping stops at its last original reply, so the last
  // probe's copy may come too late to be counted; it is left out.
  auto per = replies_per_probe(ThreeSiteLab::v4('b'), n + 1);
  EXPECT_EQ(std::count(per.begin() + 1, per.end(), 0), 0) << "duplication loses nothing";
  expect_rate(static_cast<int>(std::count(per.begin() + 1, per.end() - 1, 2)), n, 0.10, "probes answered twice");
  ASSERT_EQ(api("DELETE", "/v1/faults/" + dup).status, 200);

  apply({{"corrupt", {{"percent", 10}}}}, {ThreeSiteLab::v4_net('b')});
  const double q = 0.10 * unanswered_when_corrupted(GetParam());
  const int m = samples(q);
  per = replies_per_probe(ThreeSiteLab::v4('b'), m);
  expect_rate(static_cast<int>(std::count(per.begin() + 1, per.end(), 0)), m, q, "corrupted requests (unanswered)");
}

// Catches a reorder rate off by half; and replies that never overtake.
TEST_P(Behaviour, ReorderSendsSomePacketsAheadOfDelayedOnes) {
  apply({{"delay", {{"time_us", 20000}}}, {"reorder", {{"percent", 25}}}}, {ThreeSiteLab::v4_net('b')});
  const int n = samples(0.25);
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), n, kProbeInterval);
  ASSERT_EQ(replies.size(), static_cast<std::size_t>(n)) << "reordering loses nothing";
  int fast = 0, overtakes = 0, highest = 0;
  for (const auto& r : replies) {
    if (r.rtt_ms < 10) ++fast;
    if (r.seq < highest) ++overtakes;
    highest = std::max(highest, r.seq);
  }
  expect_rate(fast, n, 0.25, "sent at once (undelayed)");
  EXPECT_GT(overtakes, 0) << "replies arrive out of order";
}

// Catches a delay off by its margin or a loss rate off by half when the
// impairments are combined with a rate limit.
TEST_P(Behaviour, DelayLossAndBandwidthCombine) {
  const double base = median('a', ThreeSiteLab::v4('b'));
  apply({{"delay", {{"time_us", 20000}}}, {"loss", {{"percent", 20}}}, {"bandwidth", {{"rate_bps", 10'000'000}}}},
        {ThreeSiteLab::v4_net('b')});
  const int n = samples(0.20);
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), n, kProbeInterval);
  EXPECT_NEAR(median_rtt_ms(replies) - base, 20.0, tolerance(20));
  expect_rate(n - static_cast<int>(replies.size()), n, 0.20, "lost");
}

// Catches an ingress delay off by its margin, or one that also delays c.
// b and c probe a at the same time, so c is b's control on a's ingress path:
// a burst of load that lengthens b's replies lengthens c's too (under qemu on
// a loaded host, one in ~100 runs moved b's median alone by 3.5 ms when it was
// judged against a baseline taken before the fault).
TEST_P(Behaviour, IngressDelayIsMeasuredFromTheOtherSide) {
  const double base = median('c', ThreeSiteLab::v4('a'));
  apply({{"delay", {{"time_us", 30000}}}}, {ThreeSiteLab::v4_net('b')}, "ingress");
  auto from_c = std::async(std::launch::async, [this] { return median('c', ThreeSiteLab::v4('a')); });
  const double b = median('b', ThreeSiteLab::v4('a'));
  const double c = from_c.get();
  EXPECT_NEAR(b - c, 30.0, tolerance(30)) << "b's requests wait on a's ingress";
  EXPECT_NEAR(c - base, 0.0, tolerance(0)) << "c's do not";
}

}  // namespace
}  // namespace injector::testing
