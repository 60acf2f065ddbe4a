// The checker's invariants end to end: `injector run --no-faults` against a
// correct stand-in payment API (the positive control) and against stand-ins
// that lose, duplicate or invent money, or hide their ledger. Each broken
// stand-in is a few lines apart from the correct one, and each test also
// checks that the invariants the breakage does not touch still pass, so a
// checker that failed everything on any oddity would fail these tests too.

#include <gtest/gtest.h>

#include "tests/injector/run/drill_fixture.h"
#include "tests/injector/run/stand_in_api.h"

namespace {

using injector::testing::Breakage;
using injector::testing::DrillDir;
using injector::testing::named;
using injector::testing::payments_playbook;
using injector::testing::StandInApi;
using nlohmann::json;

constexpr const char* kTwoSeconds = "  - wait: 2s\n";

std::string result_of(const json& report, const std::string& invariant) {
  return named(report["invariants"], invariant).value("result", "?");
}

// Fails if the checker cried wolf on a correct system (any invariant or the
// verdict not a pass) or judged a run in which it sent nothing.
TEST(DrillLedger, ACorrectSystemPassesEveryInvariant) {
  StandInApi api;
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), kTwoSeconds));
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.err;
  EXPECT_EQ(r.report["verdict"]["result"], "pass");
  ASSERT_EQ(r.report["invariants"].size(), 6u) << r.report["invariants"].dump();
  for (const auto& i : r.report["invariants"]) EXPECT_EQ(i["result"], "pass") << i.dump();
  const json& p = r.report["payments"];
  EXPECT_GE(p["ok"].get<int>(), 50) << p.dump();  // 200 due at 100/s over 2 s
  EXPECT_EQ(p["lost"], 0);
  EXPECT_EQ(p["duplicated"], 0);
  EXPECT_EQ(p["phantom"], 0);
  EXPECT_GE(api.payments_answered(), p["ok"].get<int>());
}

// Fails if acknowledged_once trusted the workload's own counts instead of
// the ledger (every 10th payment is answered "applied" and never recorded).
TEST(DrillLedger, AnAcknowledgedPaymentMissingFromTheLedgerIsLost) {
  StandInApi api(Breakage::lose_every_nth(10));
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), kTwoSeconds));
  ASSERT_EQ(r.rc, 21) << r.out << r.err;
  EXPECT_EQ(r.report["verdict"]["result"], "invariant_violated");
  EXPECT_EQ(result_of(r.report, "acknowledged_once"), "fail");
  // Nothing was applied that should not have been: the balances still add up.
  EXPECT_EQ(result_of(r.report, "conserved"), "pass");
  EXPECT_EQ(result_of(r.report, "no_phantom"), "pass");
  EXPECT_GE(r.report["payments"]["lost"].get<int>(), 5) << r.report["payments"].dump();
  // A CI system reading junit.xml sees the same.
  EXPECT_EQ(injector::testing::junit_mismatches(
                dir.last_report_dir(), {"invariant acknowledged_once=failure", "invariant conserved=pass", "rollback=pass"}),
            "");
}

// Fails if conserved only summed the balances (a doubled transfer keeps the
// sum) instead of replaying the recorded payments against them.
TEST(DrillLedger, APaymentAppliedTwiceIsCaughtByReplayingTheLedger) {
  StandInApi api(Breakage::duplicate_the_first());
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), kTwoSeconds));
  ASSERT_EQ(r.rc, 21) << r.out << r.err;
  EXPECT_EQ(result_of(r.report, "conserved"), "fail");
  EXPECT_EQ(result_of(r.report, "acknowledged_once"), "pass");
  EXPECT_EQ(result_of(r.report, "no_phantom"), "pass");
  EXPECT_EQ(r.report["payments"]["duplicated"], 2) << r.report["payments"].dump();  // the payer and the payee
}

// Fails if no_phantom ignored records under the run's prefix that the run
// never sent (here one committed correctly, balances and all).
TEST(DrillLedger, APaymentNobodySentIsAPhantom) {
  StandInApi api(Breakage::add_a_phantom());
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), kTwoSeconds));
  ASSERT_EQ(r.rc, 21) << r.out << r.err;
  EXPECT_EQ(result_of(r.report, "no_phantom"), "fail");
  EXPECT_EQ(result_of(r.report, "conserved"), "pass");
  EXPECT_EQ(result_of(r.report, "acknowledged_once"), "pass");
  EXPECT_EQ(r.report["payments"]["phantom"], 1);
  const std::string prefix = "drill-" + r.report["run"]["id"].get<std::string>() + "-";
  EXPECT_EQ(r.report["payments"]["ledger"]["phantom"]["first"][0], prefix + "phantom")
      << r.report["payments"]["ledger"].dump();
}

// Fails if no_failed_applied believed the answer ("declined") instead of
// the ledger (applied).
TEST(DrillLedger, APaymentToldDeclinedButAppliedIsCaught) {
  StandInApi api(Breakage::decline_yet_apply_every_nth(10));
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), kTwoSeconds));
  ASSERT_EQ(r.rc, 21) << r.out << r.err;
  EXPECT_EQ(result_of(r.report, "no_failed_applied"), "fail");
  EXPECT_EQ(result_of(r.report, "acknowledged_once"), "pass");
  EXPECT_EQ(result_of(r.report, "conserved"), "pass");
  EXPECT_GE(r.report["payments"]["ledger"]["flipped"]["count"].get<int>(), 5);
}

// Seeded with 100 minor units an account and never declining, the
// stand-in overdraws accounts (payments of up to 500). Fails if
// no_negative did not look at every balance, or if conserved confused a
// negative balance with money created.
TEST(DrillLedger, AnOverdrawnAccountFailsNoNegative) {
  StandInApi api(Breakage::overdraw_from(100));
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), kTwoSeconds));
  ASSERT_EQ(r.rc, 21) << r.out << r.err;
  EXPECT_EQ(result_of(r.report, "no_negative"), "fail");
  EXPECT_EQ(result_of(r.report, "conserved"), "pass");
  EXPECT_EQ(result_of(r.report, "acknowledged_once"), "pass");
  EXPECT_GE(r.report["payments"]["ledger"]["negative"]["count"].get<int>(), 1);
}

// Fails if a checker that cannot read the ledger passed the drill (or
// called it a violation): it could not decide, so unknown, 24.
TEST(DrillLedger, AnUnreadableLedgerIsUnknownNeverAPass) {
  StandInApi api(Breakage::snapshot_answers(500));
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), kTwoSeconds));
  ASSERT_EQ(r.rc, 24) << r.out << r.err;
  EXPECT_EQ(r.report["verdict"]["result"], "unknown");
  ASSERT_EQ(r.report["invariants"].size(), 6u);
  for (const auto& i : r.report["invariants"]) EXPECT_EQ(i["result"], "unknown") << i.dump();
  EXPECT_TRUE(r.report["payments"]["lost"].is_null());
  EXPECT_GE(r.report["payments"]["ok"].get<int>(), 50);  // the payments themselves went through
  // In junit.xml unknown is an error, never a pass.
  EXPECT_EQ(injector::testing::junit_mismatches(dir.last_report_dir(), {"invariant conserved=error",
                                                                        "invariant no_phantom=error"}),
            "");
}

// Money lost and a missed expectation in one run: the lost money decides
// (21 over 20). Fails if the first or the last problem found won instead.
TEST(DrillLedger, AnInvariantViolationOutranksAFailedExpectation) {
  StandInApi api(Breakage::lose_every_nth(10).outage(std::chrono::milliseconds(800),
                                                           std::chrono::milliseconds(1800)));
  DrillDir dir;
  const auto r = dir.run(payments_playbook(api.url(), "  - wait: 3s\n"
                                                      "  - expect: [{metric: longest_gap, op: \"<=\", value: 300ms}]\n"));
  ASSERT_EQ(r.rc, 21) << r.out << r.err;
  ASSERT_EQ(r.report["expectations"].size(), 1u);
  EXPECT_EQ(r.report["expectations"][0]["result"], "fail") << r.report["expectations"].dump();
  EXPECT_EQ(result_of(r.report, "acknowledged_once"), "fail");
  EXPECT_EQ(r.report["verdict"]["exit_code"], 21);
}

}  // namespace
