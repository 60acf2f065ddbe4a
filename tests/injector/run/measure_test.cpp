// An expectation judged (measure.h): rto that never recovered is a failure
// of the system, rto with nothing to measure from is the checker's blind
// spot (unknown), and a recovery inside the goal passes.
#include "injector/run/measure.h"

#include <gtest/gtest.h>

namespace {

using injector::drill::Attempt;
using injector::drill::Observed;
using injector::drill::Outcome;
using injector::drill::SentPayment;
using injector::run::judge;
using injector::run::Judged;
using injector::run::Sources;

constexpr std::int64_t kT0 = 1'700'000'000'000'000;

// One hz payment every 100 ms over [0, 10 s), each answered in 5 ms: failed
// from `down_ms` on until `up_ms`, acknowledged otherwise.
std::vector<SentPayment> payments(std::int64_t down_ms, std::int64_t up_ms) {
  std::vector<SentPayment> out;
  for (std::int64_t t = 0; t < 10'000; t += 100) {
    SentPayment p;
    p.request.from = 0;
    p.due_us = kT0 + t * 1000;
    Attempt a;
    a.start_us = p.due_us;
    a.end_us = p.due_us + 5000;
    a.observed = t >= down_ms && t < up_ms ? Observed::kFail : Observed::kOk;
    p.attempts.push_back(a);
    p.outcome = a.observed == Observed::kOk ? Outcome::kApplied : Outcome::kUnknown;
    out.push_back(p);
  }
  return out;
}

injector::playbook::Expectation rto_within(double seconds) {
  injector::playbook::Expectation e;
  e.metric = injector::playbook::Metric::rto;
  e.dc = "hz";
  e.op = injector::playbook::CompareOp::le;
  e.value = seconds;
  return e;
}

Sources sources(const std::vector<SentPayment>& ps, std::optional<std::int64_t> event_us) {
  Sources s;
  s.payments = &ps;
  s.dc_of = [](std::int64_t) { return std::string("hz"); };
  s.event_us = event_us;
  s.baseline = {kT0, kT0 + 2'000'000};
  s.recovery.window = std::chrono::seconds(2);
  s.recovery.fraction = 0.9;
  return s;
}

TEST(Judge, RtoThatNeverRecoveredFailsAndOneWithoutAFaultIsUnknown) {
  const injector::drill::Window span{kT0 + 3'000'000, kT0 + 10'000'000};
  const auto down = payments(3000, 10'000);  // down from the fault to the end
  EXPECT_EQ(judge(rto_within(4), span, sources(down, kT0 + 3'000'000)).result, Judged::fail);
  EXPECT_EQ(judge(rto_within(4), span, sources(down, std::nullopt)).result, Judged::unknown);
  const auto back = payments(3000, 4500);  // 1.5 s out, then served again
  const auto m = judge(rto_within(4), span, sources(back, kT0 + 3'000'000));
  EXPECT_EQ(m.result, Judged::pass) << m.detail;
  ASSERT_TRUE(m.value);
  EXPECT_NEAR(*m.value, 1.505, 0.001);
  EXPECT_EQ(judge(rto_within(1), span, sources(back, kT0 + 3'000'000)).result, Judged::fail);
}

// Under --no-faults no fault was sent: rto is a question the run never
// asked, skipped, neither a pass nor the checker's blind spot (24). The
// same expectation on a faulted run is still judged.
TEST(Judge, RtoUnderNoFaultsIsSkippedAndOtherMetricsAreStillJudged) {
  const injector::drill::Window span{kT0 + 3'000'000, kT0 + 10'000'000};
  const auto steady = payments(0, 0);
  Sources s = sources(steady, std::nullopt);
  s.no_faults = true;
  const auto m = judge(rto_within(4), span, s);
  EXPECT_EQ(m.result, Judged::skipped);
  EXPECT_NE(m.detail.find("--no-faults"), std::string::npos) << m.detail;
  EXPECT_FALSE(m.value);
  injector::playbook::Expectation gap = rto_within(1);
  gap.metric = injector::playbook::Metric::longest_gap;
  const auto g = judge(gap, span, s);
  EXPECT_EQ(g.result, Judged::pass) << g.detail;
  EXPECT_EQ(judge(rto_within(4), span, sources(steady, std::nullopt)).result, Judged::unknown)
      << "without --no-faults a missing fault is still a blind spot";
}

}  // namespace
