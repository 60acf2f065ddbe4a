// The operator stops a drill: the real `injector` binary, `run --no-faults`
// against a stand-in payment API, SIGINT (Ctrl-C) or SIGTERM in the middle
// of a 20 s wait. The drill stops at once, still reads the ledger and writes
// its report, and exits 130.

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "tests/injector/run/drill_fixture.h"
#include "tests/injector/run/stand_in_api.h"
#include "tests/support/process.h"

namespace {

using injector::testing::ChildProcess;
using injector::testing::payments_playbook;
using injector::testing::StandInApi;
using injector::testing::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

// Fails if the signal were ignored (the 20 s wait runs on: no exit within
// 15 s), killed the CLI before its report, or ended it with another code.
void stop_a_drill_with(int signo) {
  StandInApi api;
  TempDir dir("drillstop");
  const std::string file = dir.file("drill.yaml");
  std::ofstream(file) << payments_playbook(api.url(), "  - wait: 20s\n");
  ChildProcess cli({INJECTOR_BIN, "run", file, "--no-faults", "--report", dir.file("report")}, dir.file("log"));
  // Stopped while payments flow, so the ledger has something to check.
  const auto patience = std::chrono::steady_clock::now() + 10s;
  while (api.payments_answered() < 20 && std::chrono::steady_clock::now() < patience) std::this_thread::sleep_for(20ms);
  ASSERT_GE(api.payments_answered(), 20) << cli.log();
  const auto signalled = std::chrono::steady_clock::now();
  cli.signal(signo);
  const auto rc = cli.wait_exit(15s);
  ASSERT_TRUE(rc) << "still running 15 s after the signal\n" << cli.log();
  EXPECT_EQ(*rc, 130) << cli.log();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 10s);
  std::ifstream in(dir.file("report/report.json"));
  ASSERT_TRUE(in) << "no report after the signal\n" << cli.log();
  const json report = json::parse(in);
  EXPECT_TRUE(report["run"]["interrupted"].get<bool>());
  EXPECT_EQ(report["verdict"]["result"], "interrupted");
  EXPECT_EQ(report["steps"][0]["result"], "aborted");
  // The first signal still lets the checker read the ledger.
  for (const auto& i : report["invariants"]) EXPECT_EQ(i["result"], "pass") << i.dump();
  EXPECT_GE(report["payments"]["ok"].get<int>(), 20);
}

TEST(DrillInterrupt, CtrlCStopsTheDrillAndStillWritesTheReport) { stop_a_drill_with(SIGINT); }

TEST(DrillInterrupt, SigtermStopsTheDrillAndStillWritesTheReport) { stop_a_drill_with(SIGTERM); }

}  // namespace
