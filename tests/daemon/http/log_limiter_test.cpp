#include "daemon/http/log_limiter.h"

#include <gtest/gtest.h>

namespace injector::http {
namespace {

using std::chrono::milliseconds;
const LogLimiter::Clock::time_point t0{milliseconds(1'000'000)};

TEST(LogLimiter, OneLineAKeyAnIntervalAndTheNextSaysHowManyWereLeftOut) {
  LogLimiter l(milliseconds(1000), 1);
  EXPECT_EQ(l.admit("x", t0), 0u);
  for (int i = 1; i < 100; ++i) EXPECT_FALSE(l.admit("x", t0 + milliseconds(i * 9))) << i;
  EXPECT_EQ(l.admit("y", t0 + milliseconds(500)), 0u) << "keys are limited apart";
  EXPECT_EQ(l.admit("x", t0 + milliseconds(1000)), 99u);
  EXPECT_FALSE(l.admit("x", t0 + milliseconds(1001)));
}

TEST(LogLimiter, AQuietMomentOwesASummaryOnlyOnceTheIntervalHasPassed) {
  LogLimiter l(milliseconds(1000), 1);
  ASSERT_EQ(l.admit("x", t0), 0u);
  ASSERT_FALSE(l.admit("x", t0 + milliseconds(10)));
  ASSERT_FALSE(l.admit("x", t0 + milliseconds(20)));
  EXPECT_TRUE(l.has_suppressed());
  EXPECT_TRUE(l.take_overdue(t0 + milliseconds(999)).empty()) << "not yet: the next line may still carry it";
  const auto due = l.take_overdue(t0 + milliseconds(1000));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].first, "x");
  EXPECT_EQ(due[0].second, 2u);
  EXPECT_FALSE(l.has_suppressed());
  EXPECT_FALSE(l.admit("x", t0 + milliseconds(1500))) << "the summary was this interval's line";
  EXPECT_EQ(l.admit("x", t0 + milliseconds(2000)), 1u);
}

TEST(LogLimiter, NothingSuppressedNothingOwed) {
  LogLimiter l(milliseconds(1000), 1);
  ASSERT_EQ(l.admit("x", t0), 0u);
  EXPECT_FALSE(l.has_suppressed());
  EXPECT_TRUE(l.take_overdue(t0 + milliseconds(5000)).empty());
  EXPECT_EQ(suppressed_suffix(0), "");
  EXPECT_EQ(suppressed_suffix(41), " (and 41 more like it since the last line, not logged one by one)");
}

TEST(LogLimiter, ABurstPassesLineByLineThenOneAnIntervalAsTheBucketRefills) {
  LogLimiter l(milliseconds(1000), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l.admit("x", t0 + milliseconds(i)), 0u) << "the odd refusal is logged whole";
  EXPECT_FALSE(l.admit("x", t0 + milliseconds(3)));
  EXPECT_FALSE(l.admit("x", t0 + milliseconds(900)));
  EXPECT_EQ(l.admit("x", t0 + milliseconds(1010)), 2u) << "one line back after an interval";
  EXPECT_FALSE(l.admit("x", t0 + milliseconds(1020)));
  // A long quiet refills the burst, but no more than it.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.admit("x", t0 + milliseconds(60'000 + i))) << i;
  EXPECT_FALSE(l.admit("x", t0 + milliseconds(60'010)));
}

}  // namespace
}  // namespace injector::http
