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

// With --no-faults the inject is kept on the timeline (it lasts its `for`,
// nothing is sent); the guards watch from there, as they would from a real
// first fault.
std::string guarded_playbook(const std::string& api) {
  return payments_playbook(api,
                           "  - id: cut\n"
                           "    inject: {partition: {isolate: hz}, for: 6s}\n"
                           "  - id: after\n"
                           "    wait: 1s\n",
                           "guards:\n"
                           "  - name: collapse\n"
                           "    expect: {metric: success_rate, op: \">=\", value: 0.9, window: 1s, for: 2}\n");
}

// The stand-in fails every payment from 1.5 s on: the guard trips about
// 0.3 s later, the drill stops (the 6 s hold is cut short, the later step
// never runs) and exits 22. Fails if guards never ran, tripped on the
// healthy control, or did not stop the steps.
TEST(DrillSteps, AGuardBreachAbortsTheDrill) {
  StandInApi broken(Breakage().outage(milliseconds(1500), std::nullopt));
  DrillDir dir;
  const auto r = dir.run(guarded_playbook(broken.url()));
  ASSERT_EQ(r.rc, 22) << r.out << r.err;
  const json& g = r.report["guards"][0];
  EXPECT_TRUE(g["tripped"].get<bool>()) << g.dump();
  ASSERT_TRUE(g["breach_unix_us"].is_number()) << g.dump();
  const auto started = r.report["run"]["started_unix_us"].get<std::int64_t>();
  const auto breach = g["breach_unix_us"].get<std::int64_t>();
  EXPECT_GT(breach - started, 1'500'000) << "tripped before the stand-in failed anything";
  EXPECT_LT(g["measured"].get<double>(), 0.9);
  const json& steps = r.report["steps"];
  EXPECT_EQ(steps[0]["result"], "aborted") << steps.dump();
  EXPECT_LT(steps[0]["ended_unix_us"].get<std::int64_t>() - steps[0]["started_unix_us"].get<std::int64_t>(),
            5'500'000) << "the hold was not cut short";
  EXPECT_EQ(steps[1]["result"], "skipped") << steps.dump();
  EXPECT_EQ(injector::testing::junit_mismatches(dir.last_report_dir(), {"guard collapse=failure"}), "");

  StandInApi healthy;
  const auto control = dir.run(guarded_playbook(healthy.url()));
  ASSERT_EQ(control.rc, 0) << control.out << control.err;
  const json& cg = control.report["guards"][0];
  EXPECT_FALSE(cg["tripped"].get<bool>());
  // 60 evaluations in 6 s; a loaded machine may delay some, never most.
  EXPECT_GE(cg["evaluations"].get<int>(), 20) << cg.dump();
  // Only the first evaluations can come before the first payment ended.
  EXPECT_LT(cg["no_data"].get<int>(), 5) << cg.dump();
  EXPECT_EQ(control.report["steps"][1]["result"], "ok");
}

// A `run` step whose HTTP call gets an unexpected status: the drill goes on
// and fails (20), naming the step. Fails if a failed action were ignored
// (exit 0) or crashed the run (exit 1, no report).
TEST(DrillSteps, ARunStepWhoseCallFailsFailsTheDrill) {
  StandInApi api;
  injector::testing::LoopbackHttp failback;
  failback.server().Post("/v1/units/failback", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
  });
  failback.server().Post("/ok", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  failback.start();
  DrillDir dir;
  const auto step = [&](const std::string& path) {
    return "  - wait: 500ms\n"
           "  - run: {http: {method: POST, url: " + failback.url() + path + ", body: \"{}\"}}\n"
           "  - wait: 500ms\n";
  };
  const auto r = dir.run(payments_playbook(api.url(), step("/v1/units/failback")));
  ASSERT_EQ(r.rc, 20) << r.out << r.err;
  ASSERT_TRUE(r.report.is_object());
  EXPECT_EQ(r.report["steps"][1]["result"], "failed") << r.report["steps"].dump();
  EXPECT_EQ(r.report["steps"][2]["result"], "ok") << "the drill goes on after a failed action";
  EXPECT_NE(r.report["verdict"]["reason"].get<std::string>().find("steps[1]"), std::string::npos)
      << r.report["verdict"].dump();

  const auto control = dir.run(payments_playbook(api.url(), step("/ok")));
  ASSERT_EQ(control.rc, 0) << control.out << control.err;
  EXPECT_EQ(control.report["steps"][1]["result"], "ok");
}

// --no-faults checks the steady state alone: an rto expectation has no fault
// to recover from, so it is skipped (report and junit) and the drill passes
// on its other expectations; a steady-state one that fails still fails it.
// Fails if rto were unknown (24) under --no-faults, or if skipping hid a
// real failure.
TEST(DrillSteps, UnderNoFaultsAnRtoIsSkippedAndTheSteadyStateIsStillJudged) {
  StandInApi api;
  DrillDir dir;
  const auto steps = [](const char* ok_per_s) {
    return std::string("  - id: cut\n"
                       "    inject: {partition: {isolate: hz}, for: 2s}\n"
                       "  - expect:\n"
                       "      - {metric: rto, op: \"<=\", value: 3s}\n"
                       "      - {metric: ok_per_s, op: \">=\", value: ") + ok_per_s + "}\n"
           "    during: cut\n";
  };
  const auto r = dir.run(payments_playbook(api.url(), steps("50")));
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  const json& x = r.report["expectations"];
  ASSERT_EQ(x.size(), 2u) << x.dump();
  EXPECT_EQ(x[0]["result"], "skipped") << x[0].dump();
  EXPECT_EQ(x[1]["result"], "pass") << x[1].dump();
  EXPECT_EQ(injector::testing::junit_mismatches(dir.last_report_dir(), {"steps[1].expect[0] rto all=skipped",
                                                                   "steps[1].expect[1] ok_per_s all=pass"}),
            "");
  // Control: a steady-state bound above the offered 100/s still fails the drill.
  const auto tight = dir.run(payments_playbook(api.url(), steps("1000")));
  ASSERT_EQ(tight.rc, 20) << tight.out << tight.err;
  EXPECT_EQ(tight.report["expectations"][0]["result"], "skipped");
}

// `after` is a grace period from the start of the window: a 1 s outage at
// the start of a 3 s step is outside `after: 1500ms` and the expectation
// passes; the same expectation without the grace sees it and fails (the
// control, on the same broken stand-in).
TEST(DrillSteps, AnExpectationsGracePeriodLeavesTheStartOfItsWindowOut) {
  // The outage runs from each stand-in's first payment: one stand-in per run.
  const auto outage = Breakage().outage(milliseconds(0), milliseconds(1000));
  StandInApi broken(outage), broken_too(outage);
  DrillDir dir;
  const auto steps = [](const char* after) {
    return std::string("  - id: hold\n"
                       "    wait: 3s\n"
                       "  - expect: [{metric: success_rate, op: \">=\", value: 0.99") + after + "}]\n"
           "    during: hold\n";
  };
  const auto graced = dir.run(payments_playbook(broken.url(), steps(", after: 1500ms")));
  ASSERT_EQ(graced.rc, 0) << graced.out << graced.err;
  const json& w = graced.report["expectations"][0]["window"];
  EXPECT_GE(w["to_unix_us"].get<std::int64_t>() - w["from_unix_us"].get<std::int64_t>(), 1'000'000) << w.dump();
  EXPECT_LE(w["to_unix_us"].get<std::int64_t>() - w["from_unix_us"].get<std::int64_t>(), 1'700'000) << w.dump();
  const auto bare = dir.run(payments_playbook(broken_too.url(), steps("")));
  ASSERT_EQ(bare.rc, 20) << bare.out << bare.err;
  EXPECT_LT(bare.report["expectations"][0]["measured"].get<double>(), 0.9);
}

}  // namespace
