#include "daemon/delayline/lateness.h"

#include <gtest/gtest.h>

namespace injector::delayline {
namespace {

TEST(ReleaseLateness, BucketsArePowersOfTwoMicroseconds) {
  EXPECT_EQ(LatenessRecorder::bucket_of(-5'000), 0u);  // early counts as on time
  EXPECT_EQ(LatenessRecorder::bucket_of(999), 0u);
  EXPECT_EQ(LatenessRecorder::bucket_of(1'000), 1u);   // [1, 2) us
  EXPECT_EQ(LatenessRecorder::bucket_of(3'999), 2u);   // [2, 4) us
  EXPECT_EQ(LatenessRecorder::bucket_of(1'500'000), 11u);  // [1024, 2048) us
  EXPECT_EQ(LatenessRecorder::bucket_of(10'000'000'000), Lateness::kBuckets - 1);  // 10 s: the overflow bucket
}

TEST(ReleaseLateness, QuantilesAreTheUpperEdgeOfTheirBucket) {
  LatenessRecorder r;
  for (int i = 0; i < 98; ++i) r.record(30'000);  // 30 us: bucket [16, 32)
  r.record(1'500'000);                            // 1.5 ms: [1024, 2048)
  r.record(5'000'000);                            // 5 ms: [4096, 8192)
  const Lateness s = r.snapshot();
  EXPECT_EQ(s.total(), 100u);
  EXPECT_EQ(s.quantile_us(0.5), 32.0);
  EXPECT_EQ(s.quantile_us(0.98), 32.0);
  EXPECT_EQ(s.quantile_us(0.99), 2048.0);
  EXPECT_EQ(s.quantile_us(1.0), 8192.0);
  EXPECT_EQ(Lateness{}.quantile_us(0.5), 0.0);
}

TEST(ReleaseLateness, SinceSubtractsAnEarlierSnapshot) {
  LatenessRecorder r;
  r.record(30'000);
  const Lateness before = r.snapshot();
  r.record(5'000'000);
  const Lateness d = r.snapshot().since(before);
  EXPECT_EQ(d.total(), 1u);
  EXPECT_EQ(d.quantile_us(0.5), 8192.0);
}

}  // namespace
}  // namespace injector::delayline
