#include "injector/drill/recorder.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

using injector::drill::Metric;
using injector::drill::Observed;
using injector::drill::Recorder;
using injector::drill::Window;

constexpr std::int64_t kOrigin = 1'700'000'000'000'000;  // Unix µs
constexpr std::int64_t kS = 1'000'000;

// hz: 8 ok, 1 fail, 1 unknown in the first second; sz: 2 ok in the second one.
void fill(Recorder& r) {
  for (int i = 0; i < 8; ++i) r.record("hz", Observed::kOk, kOrigin + i * 100'000, (i + 1) * 1000);
  r.record("hz", Observed::kFail, kOrigin + 850'000, 0);
  r.record("hz", Observed::kUnknown, kOrigin + 999'999, 0);
  r.record("sz", Observed::kOk, kOrigin + kS, 50'000);
  r.record("sz", Observed::kOk, kOrigin + kS + 500'000, 70'000);
}

TEST(Recorder, RatesAndCountsPerDatacenterAndOverall) {
  Recorder r(kOrigin);
  fill(r);
  const Window first{kOrigin, kOrigin + kS};
  EXPECT_DOUBLE_EQ(*r.value(Metric::success_rate, "hz", first), 0.8);
  EXPECT_DOUBLE_EQ(*r.value(Metric::ok_per_s, "hz", first), 8);
  EXPECT_DOUBLE_EQ(*r.value(Metric::fail_count, "hz", first), 1);
  EXPECT_DOUBLE_EQ(*r.value(Metric::unknown_count, "hz", first), 1);
  const Window both{kOrigin, kOrigin + 2 * kS};
  EXPECT_DOUBLE_EQ(*r.value(Metric::success_rate, "", both), 10.0 / 12.0);
  EXPECT_DOUBLE_EQ(*r.value(Metric::ok_per_s, "", both), 5);
  EXPECT_DOUBLE_EQ(*r.value(Metric::success_rate, "sz", both), 1);
  EXPECT_FALSE(r.value(Metric::ok_count, "sz", first)) << "hz's observations are not sz's";
}

TEST(Recorder, LatencyQuantilesInMillisecondsOfOkOnly) {
  Recorder r(kOrigin);
  fill(r);
  const Window first{kOrigin, kOrigin + kS};
  EXPECT_NEAR(*r.value(Metric::latency_p50, "hz", first), 4.0, 0.04);  // rank 4 of 1..8 ms
  EXPECT_NEAR(*r.value(Metric::latency_p99, "hz", first), 8.0, 0.08);
  EXPECT_DOUBLE_EQ(*r.value(Metric::latency_max, "hz", first), 8.0);
  EXPECT_DOUBLE_EQ(*r.value(Metric::latency_max, "", Window{kOrigin, kOrigin + 2 * kS}), 70.0);
}

TEST(Recorder, WindowEdgesAreFromIncludedToExcluded) {
  Recorder r(kOrigin);
  r.record("hz", Observed::kOk, kOrigin + 300'000, 1000);  // exactly on a bucket edge
  r.record("hz", Observed::kFail, kOrigin + 399'999, 0);   // the last µs of that bucket
  EXPECT_DOUBLE_EQ(*r.value(Metric::ok_count, "hz", {kOrigin + 300'000, kOrigin + 400'000}), 1);
  EXPECT_DOUBLE_EQ(*r.value(Metric::fail_count, "hz", {kOrigin + 300'000, kOrigin + 400'000}), 1);
  EXPECT_FALSE(r.value(Metric::ok_count, "hz", {kOrigin, kOrigin + 300'000})) << "to is excluded";
  EXPECT_FALSE(r.value(Metric::ok_count, "hz", {kOrigin + 400'000, kOrigin + 900'000})) << "after the last";
  // Edges off the grid round down to it.
  EXPECT_DOUBLE_EQ(*r.value(Metric::ok_count, "hz", {kOrigin + 350'000, kOrigin + 450'000}), 1);
}

TEST(Recorder, AnEmptyWindowIsNoMeasurementNotZero) {
  Recorder r(kOrigin);
  fill(r);
  const Window later{kOrigin + 5 * kS, kOrigin + 6 * kS};
  for (Metric m : {Metric::success_rate, Metric::ok_per_s, Metric::latency_p99, Metric::unknown_count}) {
    EXPECT_FALSE(r.value(m, "", later)) << to_string(m);
  }
  EXPECT_FALSE(r.value(Metric::success_rate, "nowhere", Window{kOrigin, kOrigin + kS}));
  EXPECT_FALSE(r.value(Metric::success_rate, "", Window{kOrigin + kS, kOrigin}));  // backwards
  EXPECT_FALSE(r.value(Metric::success_rate, "", Window{kOrigin - 10 * kS, kOrigin}));  // before the run
  // Failures but no ok: a success rate of 0, and no latency.
  Recorder f(kOrigin);
  f.record("hz", Observed::kUnknown, kOrigin + 10, 0);
  EXPECT_DOUBLE_EQ(*f.value(Metric::success_rate, "hz", {kOrigin, kOrigin + kS}), 0);
  EXPECT_FALSE(f.value(Metric::latency_p50, "hz", {kOrigin, kOrigin + kS}));
}

TEST(Recorder, SecondRowsForTheReport) {
  Recorder r(kOrigin);
  fill(r);
  const auto all = r.series("");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].start_us, kOrigin);
  EXPECT_EQ(all[0].ok, 8u);
  EXPECT_EQ(all[0].fail, 1u);
  EXPECT_EQ(all[0].unknown, 1u);
  EXPECT_NEAR(*all[0].p50_ms, 4.0, 0.04);
  EXPECT_DOUBLE_EQ(*all[0].max_ms, 8.0);
  EXPECT_EQ(all[1].start_us, kOrigin + kS);
  EXPECT_EQ(all[1].ok, 2u);
  EXPECT_DOUBLE_EQ(*all[1].max_ms, 70.0);
  const auto sz = r.series("sz");
  ASSERT_EQ(sz.size(), 2u);
  EXPECT_EQ(sz[0].ok + sz[0].fail + sz[0].unknown, 0u);
  EXPECT_FALSE(sz[0].p50_ms);
  EXPECT_EQ(sz[1].ok, 2u);
  EXPECT_TRUE(r.series("nowhere").empty());
  EXPECT_EQ(r.datacenters(), (std::vector<std::string>{"hz", "sz"}));
}

TEST(Recorder, ConcurrentWritersAndAReaderLoseNothing) {
  Recorder r(kOrigin);
  constexpr int kThreads = 4, kEach = 20000;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      // Whatever it reads mid-run must be a possible value.
      const auto rate = r.value(Metric::success_rate, "", {kOrigin, kOrigin + 10 * kS});
      if (rate) {
        ASSERT_GE(*rate, 0.0);
      }
      r.value(Metric::latency_p99, "dc1", {kOrigin, kOrigin + 10 * kS});
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&r, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto kind = i % 10 == 0 ? Observed::kFail : i % 10 == 1 ? Observed::kUnknown : Observed::kOk;
        r.record("dc" + std::to_string(t % 2), kind, kOrigin + (i % 100) * 100'000, 1000 + i);
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  const Window all{kOrigin, kOrigin + 10 * kS};
  EXPECT_DOUBLE_EQ(*r.value(Metric::ok_count, "", all), kThreads * kEach * 0.8);
  EXPECT_DOUBLE_EQ(*r.value(Metric::fail_count, "", all), kThreads * kEach * 0.1);
  EXPECT_DOUBLE_EQ(*r.value(Metric::unknown_count, "", all), kThreads * kEach * 0.1);
  EXPECT_DOUBLE_EQ(*r.value(Metric::ok_count, "dc0", all), kThreads / 2 * kEach * 0.8);
  EXPECT_DOUBLE_EQ(*r.value(Metric::ok_count, "dc1", all), kThreads / 2 * kEach * 0.8);
  std::uint64_t ok = 0;
  for (const auto& row : r.series("")) ok += row.ok;
  EXPECT_EQ(ok, static_cast<std::uint64_t>(kThreads * kEach * 8 / 10));
}

}  // namespace
