#include "injector/drill/failover.h"

#include <gtest/gtest.h>

#include <tuple>
#include <utility>

namespace {

using injector::drill::Attempt;
using injector::drill::DcOf;
using injector::drill::Edge;
using injector::drill::EdgeFigures;
using injector::drill::FailoverInput;
using injector::drill::failover_figures;
using injector::drill::FaultSpan;
using injector::drill::Observed;
using injector::drill::Outcome;
using injector::drill::SentPayment;
using injector::drill::Window;

constexpr std::int64_t kT0 = 1'700'000'000'000'000;  // the run's start, Unix µs
constexpr std::int64_t ms(std::int64_t v) { return kT0 + v * 1000; }

// Account 0 pays from hz, account 1 from sh.
const DcOf dc_of = [](std::int64_t account) { return account == 0 ? std::string("hz") : std::string("sh"); };

Attempt attempt(std::int64_t start_ms, std::int64_t end_ms, Observed o) {
  Attempt a;
  a.start_us = ms(start_ms);
  a.end_us = ms(end_ms);
  a.status = o == Observed::kOk ? 201 : o == Observed::kFail ? 503 : 0;
  a.observed = o;
  return a;
}

SentPayment payment(std::int64_t account, std::int64_t due_ms, std::vector<Attempt> attempts) {
  SentPayment p;
  p.request.from = account;
  p.due_us = ms(due_ms);
  p.attempts = std::move(attempts);
  p.outcome = p.attempts.back().observed == Observed::kOk ? Outcome::kApplied : Outcome::kUnknown;
  return p;
}

using Ranges = std::vector<std::pair<std::int64_t, std::int64_t>>;  // [from, to) ms

// One payment of `account` every 100 ms in [from, to) ms, first at from +
// offset, sent when due and answered in 5 ms: failed when it began in one of
// the `down` ranges, acknowledged otherwise (no retries).
void stream(std::vector<SentPayment>& out, std::int64_t account, std::int64_t from, std::int64_t to,
            std::int64_t offset, const Ranges& down = {}) {
  for (std::int64_t t = from + offset; t < to; t += 100) {
    bool failed = false;
    for (const auto& [a, b] : down) failed = failed || (t >= a && t < b);
    out.push_back(payment(account, t, {attempt(t, t + 5, failed ? Observed::kFail : Observed::kOk)}));
  }
}

FailoverInput input(std::int64_t run_end_ms, std::int64_t first_fault_ms) {
  FailoverInput in;
  in.run_end_us = ms(run_end_ms);
  in.baseline = injector::drill::baseline_before(kT0, {FaultSpan{"f", ms(first_fault_ms), std::nullopt}});
  in.recovery.window = std::chrono::seconds(3);
  in.recovery.fraction = 0.9;
  return in;
}

const EdgeFigures& edge(const std::vector<EdgeFigures>& figs, Edge e) {
  for (const EdgeFigures& f : figs) {
    if (f.edge == e) return f;
  }
  throw std::runtime_error("no such edge");
}

TEST(Failover, NoFailureGivesRtoZeroNoDetectionAndNoGap) {
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 10'000, 50);
  const auto figs = failover_figures(ps, dc_of, {{"cut-hz", ms(4000), ms(6000)}}, input(10'000, 4000));
  ASSERT_EQ(figs.size(), 2U);
  EXPECT_EQ(figs[0].edge, Edge::start);
  EXPECT_EQ(figs[0].span.from_us, ms(4000));
  EXPECT_EQ(figs[0].span.to_us, ms(6000));
  EXPECT_EQ(figs[1].edge, Edge::end);
  EXPECT_EQ(figs[1].span.to_us, ms(10'000));
  for (const EdgeFigures& e : figs) {
    ASSERT_EQ(e.per_dc.size(), 2U) << "hz and every datacenter";
    const auto& hz = e.per_dc.at("hz");
    EXPECT_FALSE(hz.detection_us);
    EXPECT_EQ(hz.rto_us, 0);
    EXPECT_EQ(hz.longest_gap_us, 0);
    EXPECT_FALSE(hz.gap);
    ASSERT_TRUE(hz.before.p99_ms && hz.during.p50_ms && hz.after.p99_ms);
    EXPECT_NEAR(*hz.before.p99_ms, 5.0, 0.02);
  }
  const nlohmann::json j = injector::drill::to_json(figs);
  EXPECT_EQ(j[0]["fault"], "cut-hz");
  EXPECT_EQ(j[0]["edge"], "start");
  EXPECT_EQ(j[0]["at_unix_us"], ms(4000));
  EXPECT_TRUE(j[0]["per_dc"]["hz"]["detection_ms"].is_null());
  EXPECT_EQ(j[0]["per_dc"]["hz"]["rto_ms"], 0.0);
  EXPECT_EQ(j[1]["edge"], "end");
  EXPECT_FALSE(injector::drill::longest_gap_edge(figs, "hz"));
}

TEST(Failover, NeverRecoveredWhileTheFaultLastsIsNullNotZero) {
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 10'000, 50, {{4000, 6000}});
  const auto figs = failover_figures(ps, dc_of, {{"cut-hz", ms(4000), ms(6000)}}, input(10'000, 4000));
  const auto& hz = edge(figs, Edge::start).per_dc.at("hz");
  EXPECT_EQ(hz.detection_us, 50'000);
  EXPECT_FALSE(hz.rto_us);
  // Still open at the heal: it runs to the last failed attempt of the span.
  EXPECT_EQ(hz.longest_gap_us, 1'900'000);
  EXPECT_FALSE(hz.during.p50_ms) << "no ok while cut";
  const nlohmann::json j = injector::drill::to_json(figs);
  EXPECT_TRUE(j[0]["per_dc"]["hz"]["rto_ms"].is_null());
  EXPECT_TRUE(j[0]["per_dc"]["hz"]["p99_during_ms"].is_null());
  EXPECT_EQ(j[0]["per_dc"]["hz"]["longest_gap_ms"], 1900.0);
  // The heal's own span had no failure.
  EXPECT_EQ(edge(figs, Edge::end).per_dc.at("hz").rto_us, 0);
}

TEST(Failover, FlappingRecoveryThatDipsInsideTheWindowIsNotRecovered) {
  // Down 4-5 s, up 5-6 s, down again 6-7.5 s, up from 7.5 s; never healed.
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 12'000, 50, {{4000, 5000}, {6000, 7500}});
  FailoverInput in = input(12'000, 4000);
  const auto figs = failover_figures(ps, dc_of, {{"flap", ms(4000), std::nullopt}}, in);
  ASSERT_EQ(figs.size(), 1U);
  const auto& hz = figs[0].per_dc.at("hz");
  EXPECT_EQ(hz.detection_us, 50'000);
  // The window from the first ok (5.055 s) holds 15 ok of 30; the one from
  // 7.555 s is whole: 7.555 - 4 s.
  EXPECT_EQ(hz.rto_us, 3'555'000);
  EXPECT_EQ(hz.longest_gap_us, 1'505'000);  // 6.05 s to the ack at 7.555 s
  EXPECT_FALSE(hz.after.p50_ms) << "never healed: no after";
  // At half the baseline rate, the first window already counts.
  in.recovery.fraction = 0.5;
  EXPECT_EQ(failover_figures(ps, dc_of, {{"flap", ms(4000), std::nullopt}}, in)[0].per_dc.at("hz").rto_us,
            1'055'000);
  // A window that would end after the span is not a recovery.
  in.recovery.fraction = 0.9;
  in.run_end_us = ms(10'500);
  EXPECT_FALSE(failover_figures(ps, dc_of, {{"flap", ms(4000), std::nullopt}}, in)[0].per_dc.at("hz").rto_us);
}

TEST(Failover, TheBurstOfRetriesAtARecoveryDoesNotHideTheNextDip) {
  // Down 4-6 s, every payment due then retried and acknowledged at 6 s (40
  // acks in the next 3 s where the baseline makes 30), then down 7-8 s.
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 4000, 50);
  for (std::int64_t t = 4050; t < 6000; t += 100) {
    ps.push_back(payment(0, t, {attempt(t, t + 5, Observed::kFail), attempt(6000, 6005, Observed::kOk)}));
  }
  stream(ps, 0, 6000, 14'000, 50, {{7000, 8000}});
  const auto figs = failover_figures(ps, dc_of, {{"flap", ms(4000), std::nullopt}}, input(14'000, 4000));
  const auto& hz = figs[0].per_dc.at("hz");
  // From 6.005 s: 20 ok of 30 attempts; from the ack at 8.055 s: 30 of 30.
  EXPECT_EQ(hz.rto_us, 4'055'000);
  EXPECT_EQ(hz.longest_gap_us, 1'955'000);  // 4.05 s to the burst at 6.005 s
}

TEST(Failover, AHealOutageLongerThanTheFailoverIsTheEndEdgesGap) {
  // Cut 4-9 s: down 1 s, then failed over; the heal at 9 s costs 2.5 s.
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 16'000, 50, {{4000, 5000}, {9000, 11'500}});
  const auto figs = failover_figures(ps, dc_of, {{"cut-hz", ms(4000), ms(9000)}}, input(16'000, 4000));
  const auto& start = edge(figs, Edge::start).per_dc.at("hz");
  EXPECT_EQ(start.detection_us, 50'000);
  EXPECT_EQ(start.rto_us, 1'055'000);
  EXPECT_EQ(start.longest_gap_us, 1'005'000);
  const auto& end = edge(figs, Edge::end).per_dc.at("hz");
  EXPECT_EQ(end.detection_us, 50'000);
  EXPECT_EQ(end.rto_us, 2'555'000);
  EXPECT_EQ(end.longest_gap_us, 2'505'000);
  ASSERT_TRUE(end.gap);
  EXPECT_EQ(end.gap->start_us, ms(9050));
  const EdgeFigures* worst = injector::drill::longest_gap_edge(figs, "hz");
  ASSERT_TRUE(worst);
  EXPECT_EQ(worst->edge, Edge::end);
  EXPECT_EQ(injector::drill::to_json(figs)[1]["per_dc"]["hz"]["longest_gap_from_unix_us"], ms(9050));
}

TEST(Failover, EachDatacenterIsMeasuredOnItsOwnPayers) {
  // hz down 4-6 s (cut 4-10 s); sh never fails, its payments 30 ms after hz's.
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 12'000, 50, {{4000, 6000}});
  stream(ps, 1, 0, 12'000, 20);
  const auto figs = failover_figures(ps, dc_of, {{"cut-hz", ms(4000), ms(10'000)}}, input(12'000, 4000));
  const auto& per_dc = edge(figs, Edge::start).per_dc;
  ASSERT_EQ(per_dc.size(), 3U);
  EXPECT_EQ(per_dc.at("hz").detection_us, 50'000);
  EXPECT_EQ(per_dc.at("hz").rto_us, 2'055'000);
  EXPECT_EQ(per_dc.at("hz").longest_gap_us, 2'005'000);
  EXPECT_FALSE(per_dc.at("sh").detection_us);
  EXPECT_EQ(per_dc.at("sh").rto_us, 0);
  EXPECT_EQ(per_dc.at("sh").longest_gap_us, 0);
  // Together: each failure of hz is followed by sh's ack 75 ms later, and
  // the first window with at most 6 failures of 60 starts at sh's ack at 5.425 s.
  EXPECT_EQ(per_dc.at("").detection_us, 50'000);
  EXPECT_EQ(per_dc.at("").longest_gap_us, 75'000);
  EXPECT_EQ(per_dc.at("").rto_us, 1'425'000);
  EXPECT_EQ(injector::drill::rto_s(ps, dc_of, "hz", {ms(4000), ms(10'000)}, {kT0, ms(4000)}, {}), 2.055);
  EXPECT_EQ(injector::drill::longest_gap_s(ps, dc_of, "sh", {ms(4000), ms(8000)}), 0.0);
  EXPECT_FALSE(injector::drill::longest_gap_s(ps, dc_of, "sz", {ms(4000), ms(8000)})) << "no payer there";
}

TEST(Failover, RetriesOfOnePaymentCountEachAttemptAndLatencyFromItsDueTime) {
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 4000, 50);
  // Due at 4 s: timed out, refused, then acknowledged 1.21 s after it was due.
  ps.push_back(payment(0, 4000,
                       {attempt(4000, 5000, Observed::kUnknown), attempt(5100, 5110, Observed::kFail),
                        attempt(5200, 5210, Observed::kOk)}));
  stream(ps, 0, 5300, 9000, 0);
  FailoverInput in = input(9000, 3900);
  in.recovery.window = std::chrono::seconds(1);
  const auto figs = failover_figures(ps, dc_of, {{"cut-hz", ms(3900), ms(7000)}}, in);
  const auto& hz = edge(figs, Edge::start).per_dc.at("hz");
  EXPECT_EQ(hz.detection_us, 100'000);       // the first attempt, begun at 4 s
  EXPECT_EQ(hz.longest_gap_us, 1'210'000);   // from 4 s to the acknowledgement at 5.21 s
  EXPECT_EQ(hz.rto_us, 1'310'000);           // 5.21 s: the next second holds 10 ok of 10
  ASSERT_TRUE(hz.during.p99_ms);
  EXPECT_NEAR(*hz.during.p99_ms, 1210.0, 1210.0 * 0.004);
}

TEST(Failover, OverlappingFaultsSplitTheRunAtEveryEdgeAndAfterFollowsEachFaultsOwnHeal) {
  // Answers take 5 ms until 10 s, then 50 ms: only "after" A's heal sees the slow ones.
  std::vector<SentPayment> ps;
  for (std::int64_t t = 50; t < 14'000; t += 100) {
    ps.push_back(payment(0, t, {attempt(t, t + (t < 10'000 ? 5 : 50), Observed::kOk)}));
  }
  const std::vector<FaultSpan> faults = {{"a", ms(4000), ms(10'000)}, {"b", ms(6000), ms(8000)}};
  const auto figs = failover_figures(ps, dc_of, faults, input(14'000, 4000));
  ASSERT_EQ(figs.size(), 4u);
  const std::vector<std::tuple<std::string, Edge, std::int64_t, std::int64_t>> want = {
      {"a", Edge::start, 4000, 6000}, {"b", Edge::start, 6000, 8000}, {"b", Edge::end, 8000, 10'000},
      {"a", Edge::end, 10'000, 14'000}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(figs[i].fault, std::get<0>(want[i])) << i;
    EXPECT_EQ(figs[i].edge, std::get<1>(want[i])) << i;
    EXPECT_EQ(figs[i].span.from_us, ms(std::get<2>(want[i]))) << i;
    EXPECT_EQ(figs[i].span.to_us, ms(std::get<3>(want[i]))) << i;
  }
  EXPECT_NEAR(*figs[0].per_dc.at("hz").after.p50_ms, 50.0, 0.2) << "a's heal is at 10 s";
  EXPECT_NEAR(*figs[1].per_dc.at("hz").after.p50_ms, 5.0, 0.02) << "b's heal is at 8 s";
  EXPECT_NEAR(*figs[1].per_dc.at("hz").during.p50_ms, 5.0, 0.02);
}

}  // namespace

namespace {

// hz down in [4000, 6000); from 6000 every new payment is acknowledged, but
// eight stuck payments keep retrying (and failing: their keys are busy)
// every 100 ms until 8000. Users of hz are served again at 6000: the stuck
// payments' retries are not new trouble, and counting each one as a failure
// (80 a second against 10 acknowledgements) would put the recovery at 8000.
TEST(Failover, RetriesOfStuckPaymentsDoNotDelayTheRecovery) {
  std::vector<SentPayment> ps;
  stream(ps, 0, 0, 12'000, 0, {{4000, 6000}});
  for (int k = 0; k < 8; ++k) {
    std::vector<Attempt> tries;
    for (std::int64_t t = 5000 + k * 10; t < 8000; t += 100) tries.push_back(attempt(t, t + 5, Observed::kFail));
    tries.push_back(attempt(8000 + k * 10, 8005 + k * 10, Observed::kOk));
    ps.push_back(payment(0, 5000 + k * 10, tries));
  }
  const auto rto = injector::drill::rto_s(ps, dc_of, "hz", {ms(4000), ms(12'000)}, {kT0, ms(4000)}, {});
  ASSERT_TRUE(rto);
  EXPECT_NEAR(*rto, 2.005, 0.001);  // the first acknowledgement at 6000 (+5 ms), not 8000
}

}  // namespace
