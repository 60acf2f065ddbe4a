// The statistical helper's own guarantees: its tails against exact values,
// and, by simulation with seeded generators, that its acceptance regions have
// the error rates it states.
#include "support/stats.h"

#include <gtest/gtest.h>

#include <random>

namespace injector::testing::stats {
namespace {

TEST(Stats, BinomialTailsMatchExactValues) {
  // Exact values from rational arithmetic (Python fractions).
  EXPECT_NEAR(binomial_cdf(2, 10, 0.5), 56.0 / 1024, 1e-15);
  EXPECT_NEAR(binomial_sf(8, 10, 0.5), 56.0 / 1024, 1e-15);
  EXPECT_NEAR(binomial_cdf(3, 20, 0.3), 0.107086804503731, 1e-12);
  EXPECT_NEAR(binomial_cdf(70, 1000, 0.1), 0.0005744958408379693, 1e-14);
  EXPECT_NEAR(binomial_sf(130, 1000, 0.1), 0.0013413983708734367, 1e-14);
  EXPECT_NEAR(binomial_cdf(99, 199, 0.75), 1.7814755217536814e-14, 1e-20);
  EXPECT_EQ(binomial_cdf(0, 5, 0.0), 1.0);
  EXPECT_EQ(binomial_sf(5, 5, 1.0), 1.0);
  EXPECT_NEAR(normal_cdf(1.0), 0.8413447460685429, 1e-12);
}

TEST(Stats, AcceptanceIntervalIsTheWidestWithinBudget) {
  const RateTest t = rate_test(1000, off_by_half(0.1));
  EXPECT_LE(binomial_cdf(t.lo - 1, 1000, 0.1), kFalseAlarm / 2);
  EXPECT_GT(binomial_cdf(t.lo, 1000, 0.1), kFalseAlarm / 2) << "one more rejected would exceed the budget";
  EXPECT_LE(binomial_sf(t.hi + 1, 1000, 0.1), kFalseAlarm / 2);
  EXPECT_GT(binomial_sf(t.hi, 1000, 0.1), kFalseAlarm / 2);
  EXPECT_LE(t.false_alarm, kFalseAlarm);
  EXPECT_GT(t.miss, kMiss) << "1000 probes are too few to catch 5% or 15% at 1e-4";
}

TEST(Stats, SamplesForReachesBothErrorRates) {
  for (double p : {0.05, 0.1, 0.2, 0.25, 0.5}) {
    const int n = samples_for(off_by_half(p));
    const RateTest t = rate_test(n, off_by_half(p));
    EXPECT_LE(t.false_alarm, kFalseAlarm) << p;
    EXPECT_LE(t.miss, kMiss) << p;
    EXPECT_GT(rate_test(n * 9 / 10, off_by_half(p)).miss, kMiss) << "near the smallest n: " << p;
    std::printf("[ figures  ] rate %.2f off by half: n = %d, accept [%d, %d], false alarm %.2g, miss %.2g\n", p, n,
                t.lo, t.hi, t.false_alarm, t.miss);
  }
}

// Simulated error rates of a design at a budget large enough to observe
// (5%): rejections of the truth and acceptances of the alternative, counted
// over many seeded runs, are themselves judged by the helper's exact tails.
TEST(Stats, SimulatedErrorRatesMatchTheStatedOnes) {
  const Alternatives a = off_by_half(0.2);
  const int n = 300, runs = 20'000;
  const RateTest t = rate_test(n, a, 0.05);
  std::mt19937_64 rng(12);
  auto rejections = [&](double p) {
    std::binomial_distribution<int> draw(n, p);
    int r = 0;
    for (int i = 0; i < runs; ++i) r += !t.accepts(draw(rng));
    return r;
  };
  const int false_alarms = rejections(0.2);
  const double fa = 1 - (binomial_cdf(t.hi, n, 0.2) - binomial_cdf(t.lo - 1, n, 0.2));
  const RateTest fa_check = rate_test(runs, {fa, fa, 0, 1});
  EXPECT_TRUE(fa_check.accepts(false_alarms)) << fa_check.explain(false_alarms, "false alarms");
  EXPECT_LE(fa, 0.05);
  for (double q : {a.alt_lo, a.alt_hi}) {
    const int misses = runs - rejections(q);
    const double m = binomial_cdf(t.hi, n, q) - binomial_cdf(t.lo - 1, n, q);
    const RateTest m_check = rate_test(runs, {m, m, 0, 1});
    EXPECT_TRUE(m_check.accepts(misses)) << m_check.explain(misses, "misses");
  }
}

// A two-state Markov chain (Gilbert-Elliott): the exits out of the bad state,
// counted over its visits, judged as a binomial. Simulated at a 1% budget.
TEST(Stats, MarkovSojournTestHoldsItsFalseAlarmRate) {
  const double p = 0.1, r = 0.3;
  const int steps = 6000, runs = 2000;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  int false_alarms = 0;
  for (int run = 0; run < runs; ++run) {
    bool bad = u(rng) < p / (p + r);
    int visits = 0, exits = 0;
    for (int i = 0; i < steps; ++i) {
      const bool next = bad ? u(rng) >= r : u(rng) < p;
      if (bad) visits++, exits += !next;
      bad = next;
    }
    false_alarms += !rate_test(visits, sojourn_off_by_half(r), 0.01).accepts(exits);
  }
  const RateTest check = rate_test(runs, {0, 0.01, 0, 1});
  EXPECT_LE(false_alarms, check.hi) << false_alarms << " of " << runs;
}

TEST(Stats, MedianOfTwoHundredProbesStaysInsideItsQuartiles) {
  EXPECT_LT(median_escape(200), 1e-12);
  EXPECT_NEAR(median_escape(199), 2 * 1.7814755217536814e-14, 1e-20);
  EXPECT_DOUBLE_EQ(timing_margin_ms(30), 6.0);
  EXPECT_DOUBLE_EQ(timing_margin_ms(10), 5.0);
  EXPECT_DOUBLE_EQ(median_tolerance_ms(10), 2.5);
}

}  // namespace
}  // namespace injector::testing::stats
