// The delay model's statistics, with fixed seeds: each expectation is the
// netem behaviour the model claims, judged by support/stats.h over enough
// packets that a model off by half lands outside the interval but for 1e-4
// (and a right one inside it but for 1e-4, so any seed would do).
#include "daemon/delayline/delay_model.h"
#include "daemon/tc/netem.h"

#include <gtest/gtest.h>

#include "support/stats_expect.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace {

using namespace std::chrono_literals;
using injector::ChanceImpairment;
using injector::DelayImpairment;
using injector::Distribution;
using injector::GilbertElliott;
using injector::Impairments;
using injector::LossImpairment;
using injector::ReorderImpairment;
using injector::delayline::Decision;
using injector::delayline::DelayModel;

constexpr std::int64_t kMs = 1'000'000;

namespace stats = injector::testing::stats;

// Judges `hits` of n against rate p; n must be enough to catch it off by half.
void expect_rate(long hits, int n, double p, const std::string& what) {
  ASSERT_GE(n, stats::samples(p)) << what << ": too few samples to catch a rate off by half";
  stats::expect_rate(hits, n, p, what);
}

std::vector<Decision> run(DelayModel& m, int n, std::uint32_t bytes = 100, std::int64_t spacing_ns = kMs) {
  std::vector<Decision> out;
  for (int i = 0; i < n; ++i) out.push_back(m.decide(bytes, i * spacing_ns));
  return out;
}

// Mean length of runs of `true`.
double mean_run(const std::vector<bool>& v) {
  int runs = 0, total = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i]) continue;
    ++total;
    if (i == 0 || !v[i - 1]) ++runs;
  }
  return runs ? static_cast<double>(total) / runs : 0;
}

std::vector<bool> drops(const std::vector<Decision>& ds) {
  std::vector<bool> v;
  for (const auto& d : ds) v.push_back(d.drop);
  return v;
}

Impairments loss(double pct, double corr = 0) {
  Impairments imp;
  imp.loss = LossImpairment{pct, corr, std::nullopt};
  return imp;
}

TEST(DelayModel, RandomLossTwentyPercentInsideBinomialInterval) {
  const int n = 10'000;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    DelayModel m(loss(20), {}, seed);
    const auto ds = run(m, n);
    const auto lost = std::count_if(ds.begin(), ds.end(), [](const Decision& d) { return d.drop; });
    expect_rate(lost, n, 0.2, "lost, seed " + std::to_string(seed));
  }
}

TEST(DelayModel, SameSeedSameDecisions) {
  Impairments imp = loss(30);
  imp.delay = DelayImpairment{10ms, 5ms, 0, Distribution::none};
  DelayModel a(imp, {}, 42), b(imp, {}, 42), c(imp, {}, 43);
  const auto da = run(a, 500), db = run(b, 500), dc = run(c, 500);
  bool differs = false;
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(da[i].drop, db[i].drop);
    ASSERT_EQ(da[i].release_ns, db[i].release_ns);
    differs |= da[i].release_ns != dc[i].release_ns;
  }
  EXPECT_TRUE(differs) << "another seed gives another stream";
}

TEST(DelayModel, GilbertElliottLossComesInBursts) {
  Impairments ge;
  ge.loss = LossImpairment{0, 0, GilbertElliott{5, 30, 100, 0}};
  DelayModel m(ge, {}, 7);
  const auto ge_drops = drops(run(m, 40'000));
  const double rate = static_cast<double>(std::count(ge_drops.begin(), ge_drops.end(), true)) / 40'000;
  // Bursts last 1/r packets on average, gaps 1/p: each state's exits over its
  // visits are judged as a rate, catching a mean burst or gap off by +/-50%.
  int bad = 0, bad_exits = 0, good = 0, good_exits = 0;
  for (std::size_t i = 0; i + 1 < ge_drops.size(); ++i) {
    (ge_drops[i] ? bad : good) += 1;
    (ge_drops[i] ? bad_exits : good_exits) += ge_drops[i] != ge_drops[i + 1];
  }
  const auto burst_alt = stats::sojourn_off_by_half(0.30), gap_alt = stats::sojourn_off_by_half(0.05);
  ASSERT_GE(bad, stats::samples_for(burst_alt));
  ASSERT_GE(good, stats::samples_for(gap_alt));
  const auto burst = stats::rate_test(bad, burst_alt), gap = stats::rate_test(good, gap_alt);
  EXPECT_TRUE(burst.accepts(bad_exits)) << burst.explain(bad_exits, "bursts ended");
  EXPECT_TRUE(gap.accepts(good_exits)) << gap.explain(good_exits, "gaps ended");
  DelayModel random(loss(rate * 100), {}, 7);
  EXPECT_LT(mean_run(drops(run(random, 20'000))), 1.3) << "independent loss at the same rate is not bursty";
}

TEST(DelayModel, CorrelationLengthensLossRuns) {
  DelayModel plain(loss(50), {}, 11), correlated(loss(50, 90), {}, 11);
  const double r0 = mean_run(drops(run(plain, 20'000)));
  const double r90 = mean_run(drops(run(correlated, 20'000)));
  EXPECT_NEAR(r0, 2.0, 0.15);
  EXPECT_GT(r90, 2 * r0);
}

TEST(DelayModel, DuplicateAndCorruptRates) {
  Impairments imp;
  imp.duplicate = ChanceImpairment{10, 0};
  imp.corrupt = ChanceImpairment{5, 0};
  DelayModel m(imp, {}, 5);
  const int n = 10'000;
  const auto ds = run(m, n);
  const auto dups = std::count_if(ds.begin(), ds.end(), [](const Decision& d) { return d.duplicate; });
  const auto corrupt = std::count_if(ds.begin(), ds.end(), [](const Decision& d) { return d.corrupt; });
  expect_rate(dups, n, 0.10, "duplicated");
  expect_rate(corrupt, n, 0.05, "corrupted");
  for (const auto& d : ds) EXPECT_FALSE(d.drop);
}

TEST(DelayModel, DuplicateAndLossOfTheSamePacketSendsItOnce) {
  Impairments imp = loss(100);
  imp.duplicate = ChanceImpairment{100, 0};
  DelayModel m(imp, {}, 5);
  for (const auto& d : run(m, 100)) {
    EXPECT_FALSE(d.drop) << "netem: +1 duplicate -1 loss leaves one packet";
    EXPECT_FALSE(d.duplicate) << "and no copy";
  }
}

TEST(DelayModel, ReorderedPacketsGoAtArrivalOthersAfterTheDelay) {
  Impairments imp;
  imp.delay = DelayImpairment{10ms, 0us, 0, Distribution::none};
  imp.reorder = ReorderImpairment{25, 0, 0};
  DelayModel m(imp, {}, 9);
  const int n = 10'000;
  int at_once = 0;
  for (int i = 0; i < n; ++i) {
    const Decision d = m.decide(100, i * kMs);
    if (d.at_once) {
      ++at_once;
      EXPECT_EQ(d.release_ns, i * kMs);
    } else {
      EXPECT_EQ(d.release_ns, i * kMs + 10 * kMs);
    }
  }
  expect_rate(at_once, n, 0.25, "at once");
}

TEST(DelayModel, ReorderGapSendsEveryNthAtOnce) {
  Impairments imp;
  imp.delay = DelayImpairment{10ms, 0us, 0, Distribution::none};
  imp.reorder = ReorderImpairment{100, 0, 5};
  DelayModel m(imp, {}, 9);
  const auto ds = run(m, 50);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(ds[i].at_once, i % 5 == 4) << "packet " << i;
}

std::vector<double> delays_ms(Distribution dist, std::vector<std::int16_t> table, int n, double corr = 0) {
  Impairments imp;
  imp.delay = DelayImpairment{100ms, 10ms, corr, dist};
  DelayModel m(imp, std::move(table), 21);
  std::vector<double> out;
  for (const auto& d : run(m, n)) out.push_back(static_cast<double>(d.release_ns) / kMs);
  for (int i = 0; i < n; ++i) out[i] -= i;  // arrival i ms
  return out;
}

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }
double stddev(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

TEST(DelayModel, UniformJitterStaysInItsBandAndFillsIt) {
  const auto d = delays_ms(Distribution::none, {}, 20'000);
  int deciles[10] = {};
  for (double x : d) {
    ASSERT_GE(x, 90.0);
    ASSERT_LT(x, 110.0);
    ++deciles[std::min(9, static_cast<int>((x - 90.0) / 2.0))];
  }
  for (int c : deciles) expect_rate(c, 20'000, 0.1, "a tenth of the band (flat histogram)");
  EXPECT_NEAR(stddev(d), 20 / std::sqrt(12.0), 0.2);
}

// Share of a table's draws (t / 8192 standard deviations) within +/- c of the delay.
double table_within(const std::vector<std::int16_t>& table, double sigma, double c) {
  const auto n = std::count_if(table.begin(), table.end(), [&](std::int16_t t) { return std::abs(t) * sigma / 8192 < c; });
  return static_cast<double>(n) / static_cast<double>(table.size());
}

// Catches a standard deviation off by +/-50%: the share of delays within one
// sigma is the table's own share, and 15 or 5 ms would give the table's share
// within 2/3 or 2 of their sigma.
TEST(DelayModel, NormalTableGivesJitterAsStandardDeviation) {
  const auto table = injector::tc::load_distribution(Distribution::normal);
  const auto d = delays_ms(Distribution::normal, table, 20'000);
  EXPECT_NEAR(mean(d), 100.0, 0.3);
  // A nanosecond of rounding either side of the edge (the model works in whole ns).
  const stats::Alternatives a{table_within(table, 10, 10 - 1e-6), table_within(table, 10, 10 + 1e-6),
                              table_within(table, 15, 10), table_within(table, 5, 10)};
  ASSERT_GE(20'000, stats::samples_for(a));
  const auto within = std::count_if(d.begin(), d.end(), [](double x) { return std::abs(x - 100) < 10; });
  const stats::RateTest t = stats::rate_test(20'000, a);
  EXPECT_TRUE(t.accepts(static_cast<int>(within))) << t.explain(static_cast<int>(within), "within one sigma");
}

TEST(DelayModel, ParetoTableHasALongRightTail) {
  const auto d = delays_ms(Distribution::pareto, injector::tc::load_distribution(Distribution::pareto), 20'000);
  std::vector<double> sorted = d;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  EXPECT_GT(sorted.back() - median, 3 * (median - sorted.front())) << "right tail much longer than the left";
  EXPECT_GE(sorted.front(), 90.0 - 1);
}

TEST(DelayModel, DelayCorrelationMakesNeighboursAlike) {
  auto lag1 = [](const std::vector<double>& v) {
    const double m = mean(v);
    double num = 0, den = 0;
    for (std::size_t i = 0; i + 1 < v.size(); ++i) num += (v[i] - m) * (v[i + 1] - m);
    for (double x : v) den += (x - m) * (x - m);
    return num / den;
  };
  EXPECT_NEAR(lag1(delays_ms(Distribution::none, {}, 20'000)), 0.0, 0.05);
  EXPECT_GT(lag1(delays_ms(Distribution::none, {}, 20'000, 75)), 0.5);
}

TEST(DelayModel, RateSerialisesPacketsExactly) {
  Impairments imp;
  imp.delay = DelayImpairment{5ms, 0us, 0, Distribution::none};
  imp.bandwidth = injector::BandwidthImpairment{10'000'000, 0};
  DelayModel m(imp, {}, 1);
  // 1250 bytes at 10 Mbit/s take 1 ms on the wire; a burst at t=0 leaves 1 ms apart after the delay.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(m.decide(1250, 0).release_ns, 5 * kMs + (i + 1) * kMs) << i;
  // An idle link: a packet long after the burst only pays its delay and its own wire time.
  EXPECT_EQ(m.decide(1250, 100 * kMs).release_ns, 100 * kMs + 5 * kMs + kMs);
}

TEST(DelayModel, CutAndDownDropEverything) {
  Impairments cut;
  cut.cut = injector::CutImpairment{};
  DelayModel m(cut, {}, 1);
  for (const auto& d : run(m, 100)) EXPECT_TRUE(d.drop);
  DelayModel flap(Impairments{}, {}, 1);
  flap.set_down(true);
  EXPECT_TRUE(flap.decide(100, 0).drop);
  flap.set_down(false);
  EXPECT_FALSE(flap.decide(100, 0).drop);
  EXPECT_EQ(flap.decide(100, 7).release_ns, 7) << "no impairment: released at arrival";
}

}  // namespace
