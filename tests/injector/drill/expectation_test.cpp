#include "injector/drill/expectation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using injector::drill::Comparison;
using injector::drill::GuardConfig;
using injector::drill::GuardState;
using injector::drill::holds;
using injector::drill::Op;
using Eval = GuardState::Eval;

TEST(Holds, EveryOperatorAtAndAroundItsEdge) {
  EXPECT_TRUE(holds({Op::lt, 5}, 4.999));
  EXPECT_FALSE(holds({Op::lt, 5}, 5));
  EXPECT_TRUE(holds({Op::le, 5}, 5));
  EXPECT_FALSE(holds({Op::le, 5}, 5.001));
  EXPECT_TRUE(holds({Op::gt, 5}, 5.001));
  EXPECT_FALSE(holds({Op::gt, 5}, 5));
  EXPECT_TRUE(holds({Op::ge, 5}, 5));
  EXPECT_FALSE(holds({Op::ge, 5}, 4.999));
  EXPECT_TRUE(holds({Op::eq, 0}, 0));
  EXPECT_FALSE(holds({Op::eq, 0}, 1));
  EXPECT_TRUE(holds({Op::ne, 0}, 1));
  EXPECT_FALSE(holds({Op::ne, 0}, 0));
  const Comparison between{Op::between, 50, 70};
  EXPECT_TRUE(holds(between, 50));  // both edges included
  EXPECT_TRUE(holds(between, 70));
  EXPECT_TRUE(holds(between, 60));
  EXPECT_FALSE(holds(between, 49.999));
  EXPECT_FALSE(holds(between, 70.001));
}

TEST(Holds, NanSatisfiesNothing) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Op op : {Op::lt, Op::le, Op::gt, Op::ge, Op::eq, Op::ne, Op::between}) {
    EXPECT_FALSE(holds({op, 0, 1e9}, nan)) << injector::drill::to_string(op);
  }
}

// success_rate must stay >= 0.5, tripping on 3 breaches in a row.
GuardState guard(std::int64_t after_us = 0) { return GuardState(GuardConfig{{Op::ge, 0.5}, 3, after_us}, 1000); }

TEST(GuardState, TripsOnForCountConsecutiveBreachesWithTheTrippingValue) {
  auto g = guard();
  EXPECT_EQ(g.feed(1100, 0.4), Eval::breach);
  EXPECT_EQ(g.feed(1200, 0.3), Eval::breach);
  EXPECT_FALSE(g.tripped());
  EXPECT_EQ(g.feed(1300, 0.2), Eval::tripped);
  ASSERT_TRUE(g.tripped());
  EXPECT_EQ(*g.trip_time_us(), 1300);
  EXPECT_EQ(*g.trip_value(), 0.2);
  // Tripped stays tripped, and keeps the first trip.
  EXPECT_EQ(g.feed(1400, 0.9), Eval::tripped);
  EXPECT_EQ(*g.trip_time_us(), 1300);
}

TEST(GuardState, APassResetsTheStreak) {
  auto g = guard();
  g.feed(1100, 0.1);
  g.feed(1200, 0.1);
  EXPECT_EQ(g.feed(1300, 0.5), Eval::pass);
  EXPECT_EQ(g.streak(), 0);
  g.feed(1400, 0.1);
  EXPECT_EQ(g.feed(1500, 0.1), Eval::breach);
  EXPECT_FALSE(g.tripped());
  EXPECT_EQ(g.feed(1600, 0.1), Eval::tripped);
}

TEST(GuardState, NoDataNeitherTripsNorResets) {
  // Why: a window with no observation is the checker's blind spot, not the
  // system's fault, so it must not abort the drill; but an outage that
  // leaves such windows between its breaches must still trip, so it must
  // not restart the count either.
  auto g = guard();
  g.feed(1100, 0.1);
  g.feed(1200, 0.1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(g.feed(1300 + i, std::nullopt), Eval::no_data);
  EXPECT_FALSE(g.tripped());
  EXPECT_EQ(g.streak(), 2);
  EXPECT_EQ(g.no_data_count(), 10);
  EXPECT_EQ(g.feed(1500, 0.1), Eval::tripped);
}

TEST(GuardState, NothingCountsDuringTheGracePeriod) {
  auto g = guard(/*after_us=*/500);  // started at 1000: grace until 1500
  for (std::int64_t t = 1000; t < 1500; t += 100) EXPECT_EQ(g.feed(t, 0.0), Eval::grace) << t;
  EXPECT_EQ(g.streak(), 0);
  EXPECT_EQ(g.feed(1500, 0.0), Eval::breach);
  g.feed(1600, 0.0);
  EXPECT_EQ(g.feed(1700, 0.0), Eval::tripped);
}

TEST(GuardState, ForCountOneTripsOnTheFirstBreach) {
  GuardState g(GuardConfig{{Op::lt, 200}, 1, 0}, 0);
  EXPECT_EQ(g.feed(100, 150), Eval::pass);
  EXPECT_EQ(g.feed(200, 200), Eval::tripped);
  EXPECT_THROW(GuardState(GuardConfig{{Op::lt, 200}, 0, 0}, 0), std::invalid_argument);
}

}  // namespace
