#include "injector/drill/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace {

using injector::drill::Histogram;

// The value at rank ceil(q * n) of sorted data: what quantile(q) promises.
std::int64_t exact(const std::vector<std::int64_t>& sorted, double q) {
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()))));
  return sorted[rank - 1];
}

void expect_quantiles_within_1_percent(const std::vector<std::int64_t>& values, const Histogram& h) {
  auto sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double want = static_cast<double>(exact(sorted, q));
    const double got = static_cast<double>(h.quantile(q));
    EXPECT_LE(std::abs(got - want), 0.01 * want) << "q=" << q << " want " << want << " got " << got;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.max(), sorted.back());
  EXPECT_EQ(h.min(), sorted.front());
}

TEST(Histogram, QuantilesWithinOnePercentOfTheExactOnesOnLogNormalLatencies) {
  std::mt19937_64 rng(42);
  // Around 2 ms with a long tail up to seconds, as payments under a fault.
  std::lognormal_distribution<double> d(std::log(2000.0), 1.5);
  std::vector<std::int64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = std::min<std::int64_t>(Histogram::kMaxValue, static_cast<std::int64_t>(d(rng)));
    values.push_back(v);
    h.record(v);
  }
  expect_quantiles_within_1_percent(values, h);
}

TEST(Histogram, QuantilesWithinOnePercentOverTheWholeRange) {
  std::mt19937_64 rng(7);
  // Uniform in log from 1 µs to 1 h: every power of two gets values.
  std::uniform_real_distribution<double> d(0, std::log(3.6e9));
  for (int round = 0; round < 20; ++round) {
    std::vector<std::int64_t> values;
    Histogram h;
    for (int i = 0; i < 2000; ++i) {
      const auto v = static_cast<std::int64_t>(std::exp(d(rng)));
      values.push_back(v);
      h.record(v);
    }
    expect_quantiles_within_1_percent(values, h);
  }
}

TEST(Histogram, EveryBucketHoldsItsValuesAndTheIndexIsMonotonic) {
  std::uint32_t last = 0;
  for (std::int64_t v = 0; v <= Histogram::kMaxValue; v = v < 1000 ? v + 1 : v + v / 300) {
    const auto i = Histogram::index_of(v);
    EXPECT_GE(i, last) << v;
    last = i;
    EXPECT_LE(Histogram::lowest_of(i), v);
    EXPECT_LT(v, Histogram::lowest_of(i) + Histogram::width_of(i));
    EXPECT_LE(static_cast<double>(Histogram::width_of(i)), 1.0 + static_cast<double>(v) / 128.0) << v;
  }
}

TEST(Histogram, MergeAndSumEqualRecordingEverythingInOne) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::int64_t> d(1, 5'000'000);
  Histogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const auto v = d(rng);
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  injector::drill::HistogramSum sum;
  sum.add(a);
  sum.add(Histogram{});
  sum.add(b);
  const Histogram summed = sum.result();
  a.merge(b);
  EXPECT_EQ(summed.count(), all.count());
  EXPECT_EQ(summed.max(), all.max());
  EXPECT_EQ(summed.min(), all.min());
  for (double q : {0.1, 0.5, 0.9, 0.99, 1.0}) EXPECT_EQ(summed.quantile(q), all.quantile(q)) << q;
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  for (double q : {0.1, 0.5, 0.9, 0.99, 1.0}) EXPECT_EQ(a.quantile(q), all.quantile(q)) << q;
}

TEST(Histogram, EmptyAndOutOfRange) {
  Histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.quantile(0.5), 0);
  h.record(-5);
  h.record(Histogram::kMaxValue * 10);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
  EXPECT_EQ(h.count(), 2u);
}

}  // namespace
