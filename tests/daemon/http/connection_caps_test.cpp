#include "daemon/http/connection_caps.h"

#include <gtest/gtest.h>

#include <string>

namespace injector::http {
namespace {

ConnectionLimits limits(std::size_t pending, std::size_t per_source, std::size_t authenticated) {
  return {pending, per_source, authenticated, std::chrono::seconds(1)};
}

TEST(CapTable, ASourceIsRefusedPastItsOwnCapWhileOthersAreStillAdmitted) {
  CapTable t(limits(10, 2, 10));
  EXPECT_EQ(t.admit_pending("10.0.0.1"), Refusal::none);
  EXPECT_EQ(t.admit_pending("10.0.0.1"), Refusal::none);
  EXPECT_EQ(t.admit_pending("10.0.0.1"), Refusal::pending_per_source_cap);
  EXPECT_EQ(t.admit_pending("10.0.0.2"), Refusal::none);
  EXPECT_EQ(t.pending(), 3u);
  EXPECT_EQ(t.pending_from("10.0.0.1"), 2u);
}

TEST(CapTable, TheOverallCapRefusesEverySourceOnceFull) {
  CapTable t(limits(3, 2, 10));
  EXPECT_EQ(t.admit_pending("a"), Refusal::none);
  EXPECT_EQ(t.admit_pending("a"), Refusal::none);
  EXPECT_EQ(t.admit_pending("b"), Refusal::none);
  EXPECT_EQ(t.admit_pending("c"), Refusal::pending_cap);
  EXPECT_EQ(t.admit_pending("a"), Refusal::pending_per_source_cap) << "the flooding source is named as such";
  t.end_pending("b");
  EXPECT_EQ(t.admit_pending("c"), Refusal::none) << "a place given back is free again";
}

TEST(CapTable, EndingAPendingConnectionFreesItsSourcesPlaceAndForgetsTheSource) {
  CapTable t(limits(4, 1, 4));
  ASSERT_EQ(t.admit_pending("a"), Refusal::none);
  t.end_pending("a");
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.pending_from("a"), 0u);
  EXPECT_EQ(t.admit_pending("a"), Refusal::none);
  t.end_pending("never-admitted");  // a refused connection gives back nothing
  EXPECT_EQ(t.pending(), 1u);
}

TEST(CapTable, PromotedConnectionsCountAgainstTheConnectionCapOnly) {
  CapTable t(limits(2, 2, 1));
  ASSERT_EQ(t.admit_pending("a"), Refusal::none);
  t.end_pending("a");
  EXPECT_EQ(t.admit_authenticated(), Refusal::none);
  ASSERT_EQ(t.admit_pending("a"), Refusal::none);
  ASSERT_EQ(t.admit_pending("a"), Refusal::none) << "the authenticated one holds no pending place";
  t.end_pending("a");
  EXPECT_EQ(t.admit_authenticated(), Refusal::connection_cap);
  t.end_authenticated();
  EXPECT_EQ(t.admit_authenticated(), Refusal::none);
  EXPECT_EQ(t.authenticated(), 1u);
}

TEST(ConnectionStats, CountsEachRefusalUnderItsReason) {
  ConnectionStats s;
  s.count(Refusal::pending_cap);
  s.count(Refusal::pending_per_source_cap);
  s.count(Refusal::pending_per_source_cap);
  s.count(Refusal::connection_cap);
  s.count(Refusal::none);
  EXPECT_EQ(s.refused_pending_cap, 1u);
  EXPECT_EQ(s.refused_pending_per_source_cap, 2u);
  EXPECT_EQ(s.refused_connection_cap, 1u);
  EXPECT_EQ(to_string(Refusal::pending_per_source_cap), "pending_per_source_cap");
}

}  // namespace
}  // namespace injector::http
