// The checker's judgements over time, end to end with `injector run
// --no-faults` against a stand-in payment API: an outage that an expect step
// must see, a guard that must abort the drill, a `run` step whose call
// fails. Each comes with its control: the same playbook against the healthy
// stand-in passes.

#include <gtest/gtest.h>

#include "tests/injector/run/drill_fixture.h"
#include "tests/injector/run/stand_in_api.h"

namespace {

using injector::testing::Breakage;
using injector::testing::DrillDir;
using injector::testing::payments_playbook;
using injector::testing::StandInApi;
using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kGapSteps =
    "  - wait: 3s\n"
    "  - expect: [{metric: longest_gap, op: \"<=\", value: 300ms}]\n";

// A 1 s stretch of 503s inside a 3 s run, judged against a 0.3 s bound: the
// gap measured is about 1 s, the healthy stand-in's 0 (no attempt fails on
// loopback). Fails if longest_gap were measured from the run's overall
// success rate (k6's whole-run thresholds: 2/3 of the run succeeded), or
// if the control's gap were not 0 (a checker that fails everything).
TEST(DrillSteps, AnOutageLongerThanTheBoundFailsTheExpectation) {
  StandInApi broken(Breakage().outage(milliseconds(1000), milliseconds(2000)));
  DrillDir dir;
  const auto r = dir.run(payments_playbook(broken.url(), kGapSteps));
  ASSERT_EQ(r.rc, 20) << r.out << r.err;
  ASSERT_EQ(r.report["expectations"].size(), 1u);
  const json& x = r.report["expectations"][0];
  EXPECT_EQ(x["result"], "fail") << x.dump();
  EXPECT_GE(x["measured"].get<double>(), 0.7) << x.dump();
  EXPECT_LE(x["measured"].get<double>(), 2.5) << x.dump();
  EXPECT_GT(broken.outage_answers(), 20);
  // The payments retried after the outage and were applied: no invariant fails.
  for (const auto& i : r.report["invariants"]) EXPECT_EQ(i["result"], "pass") << i.dump();

  StandInApi healthy;
  const auto control = dir.run(payments_playbook(healthy.url(), kGapSteps));
  ASSERT_EQ(control.rc, 0) << control.out << control.err;
  EXPECT_EQ(control.report["expectations"][0]["result"], "pass");
  EXPECT_LT(control.report["expectations"][0]["measured"].get<double>(), 0.3);
}

}  // namespace
