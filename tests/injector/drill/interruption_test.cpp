#include "injector/drill/interruption.h"

#include <gtest/gtest.h>

namespace {

using injector::drill::Attempt;
using injector::drill::longest_interruption;
using injector::drill::Outcome;
using injector::drill::recovery_us;
using injector::drill::SentPayment;

// A payment from account `from` whose attempts are (start, end, status, dc);
// the last one with a 2xx is its final answer.
SentPayment payment(std::int64_t from, std::vector<Attempt> attempts) {
  SentPayment p;
  p.request.from = from;
  p.attempts = std::move(attempts);
  const int last = p.attempts.back().status;
  p.outcome = last >= 200 && last < 300 ? Outcome::kApplied : Outcome::kUnknown;
  return p;
}

const auto all = [](const SentPayment&) { return true; };

TEST(Interruption, RunsFromTheFirstFailureAfterAnAcknowledgementToTheNextAcknowledgement) {
  const std::vector<SentPayment> ps = {
      payment(0, {{100, 110, 201, "hz"}}),
      payment(1, {{200, 1200, 0, ""}, {1250, 1260, 503, "sh"}, {3000, 3010, 201, "sh"}}),
      payment(2, {{900, 1900, 0, ""}, {2000, 2900, 0, ""}, {2950, 3020, 201, "sh"}}),
      payment(0, {{3100, 3110, 201, "sh"}}),
  };
  const auto i = longest_interruption(ps, all);
  ASSERT_TRUE(i);
  EXPECT_EQ(i->start_us, 200);
  EXPECT_EQ(i->end_us, 3010);
}

TEST(Interruption, NoFailureNoInterruption) {
  const std::vector<SentPayment> ps = {payment(0, {{100, 110, 201, "hz"}}), payment(1, {{200, 210, 201, "hz"}})};
  EXPECT_FALSE(longest_interruption(ps, all));
}

TEST(Interruption, OnlyTheSelectedPaymentsCount) {
  const std::vector<SentPayment> ps = {
      payment(0, {{100, 200, 0, ""}, {5000, 5010, 201, "sh"}}),
      payment(1, {{150, 160, 201, "sz"}}),
  };
  const auto only_0 = [](const SentPayment& p) { return p.request.from == 0; };
  const auto only_1 = [](const SentPayment& p) { return p.request.from == 1; };
  EXPECT_EQ(longest_interruption(ps, only_0)->length_us(), 4910);
  EXPECT_FALSE(longest_interruption(ps, only_1));
  // Together, 1's acknowledgement at 160 ends the stretch that began at 100.
  EXPECT_EQ(longest_interruption(ps, all)->length_us(), 60);
}

TEST(Interruption, OneStillOpenRunsToTheLastAttempt) {
  const std::vector<SentPayment> ps = {payment(0, {{100, 110, 201, "hz"}}),
                                       payment(0, {{200, 300, 0, ""}, {400, 900, 0, ""}})};
  const auto i = longest_interruption(ps, all);
  ASSERT_TRUE(i);
  EXPECT_EQ(i->start_us, 200);
  EXPECT_EQ(i->end_us, 400);
}

TEST(Recovery, IsTheFirstAcknowledgementOfAnAttemptBegunAfterTheEventNotByTheCutDatacenter) {
  const std::vector<SentPayment> ps = {
      payment(0, {{900, 1100, 201, "hz"}}),                      // begun before the cut
      payment(0, {{1005, 1010, 201, "hz"}}),                     // hz, while the cut was reaching every host
      payment(0, {{1200, 2200, 0, ""}, {2300, 3400, 201, "sh"}}), // recovered at the takeover
      payment(0, {{2400, 3600, 201, "sh"}}),
  };
  EXPECT_EQ(recovery_us(ps, all, 1000, "hz"), 2400);
  EXPECT_EQ(recovery_us(ps, all, 1000), 10);
  EXPECT_FALSE(recovery_us(ps, all, 5000));
}

}  // namespace
