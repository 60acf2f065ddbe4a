// `injector run` on the lab with the sample payment system: the real binary
// against real daemons and services, each drill judged by its exit code, its
// report.json and what the daemons hold afterwards (asked directly). Holds
// are short; the time bounds are loose (a loaded 2-core machine) and each has
// its positive control beside it.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "support/netns.h"
#include "support/payments_drill.h"
#include "tests/injector/run/drill_cli.h"

namespace {

using injector::testing::DrillCli;
using injector::testing::lab_faults;
using injector::testing::lab_inventory;
using injector::testing::PaymentsLab;
using injector::testing::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kExitWait = 90s;  // a drill's own length plus the ledger read, generously

// A drill on hz: 2 s of baseline, hz isolated for `hold`, then a little
// after. `extra` is spliced in at the top level (guards, safety). Recovery
// is judged over 1 s so that a short hold still holds hz's RTO.
std::string cut_playbook(const std::string& name, const std::string& hold, const std::string& expect,
                         const std::string& extra = "") {
  return "version: 1\nname: " + name + "\nrecovery: {window: 1s}\n" + extra +
         "workload:\n  payments: {rate: 100}\n"
         "steps:\n"
         "  - wait: 2s\n"
         "  - id: cut-hz\n    inject:\n      partition: {isolate: hz}\n      for: " + hold + "\n" +
         (expect.empty() ? "" : "  - during: cut-hz\n    expect:\n      - " + expect + "\n") +
         "  - wait: 2s\n";
}

// Polls until the drill's faults are on the daemons; false after `patience`.
bool faults_arrive(const PaymentsLab& lab, const std::string& drill, std::chrono::milliseconds patience = 15s) {
  const auto end = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < end) {
    if (lab_faults(lab, "drill", drill) > 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

class RunOnTheLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: the lab is made of network namespaces";
    lab_ = std::make_unique<PaymentsLab>(SOURCE_DIR, "rt" + std::to_string(getpid() % 1000000));
  }
  static void TearDownTestSuite() { lab_.reset(); }
  void SetUp() override {
    if (!lab_) GTEST_SKIP() << "needs root";
    injector::testing::fail_back_everything(*lab_);
    ASSERT_EQ(lab_faults(*lab_), 0) << "a fault left by an earlier test";
  }

  // Runs a drill to its end; returns its exit code, with its log on failure.
  int run(const std::string& name, const std::string& yaml, const std::vector<std::string>& extra = {}) {
    auto p = cli_.start(cli_.playbook(name, yaml), name, extra);
    const auto rc = p->wait_exit(kExitWait);
    log_ = p->log();
    return rc.value_or(-1);
  }

  static std::unique_ptr<PaymentsLab> lab_;
  TempDir dir_{"runlab"};
  DrillCli cli_{*lab_, dir_};
  std::string log_;
};
std::unique_ptr<PaymentsLab> RunOnTheLab::lab_;

const json* fault_of(const json& report, const std::string& step) {
  for (const auto& f : report["faults"]) {
    if (f["step_id"] == step) return &f;
  }
  return nullptr;
}

TEST_F(RunOnTheLab, AHealthyDrillPassesWithEveryActivationConfirmedRevertsAndFigures) {
  const std::string pb = cut_playbook("lab-healthy", "5s", "{metric: ok_per_s, op: \">\", value: 10}");
  ASSERT_EQ(run("lab-healthy", pb), 0) << log_;
  const json r = cli_.report("lab-healthy");
  ASSERT_TRUE(r.is_object()) << "no report.json\n" << log_;
  EXPECT_EQ(r["verdict"]["result"], "pass");
  const json* f = fault_of(r, "cut-hz");
  ASSERT_TRUE(f) << r["faults"].dump(2);
  EXPECT_EQ((*f)["revert"], "confirmed");
  EXPECT_EQ((*f)["hosts"].size(), lab_->inventory().hosts.size()) << "isolate hz touches every host";
  for (const auto& h : (*f)["hosts"]) EXPECT_TRUE(h["activated_unix_us"].is_number_integer()) << h.dump();
  ASSERT_FALSE(r["invariants"].empty());
  for (const auto& i : r["invariants"]) EXPECT_EQ(i["result"], "pass") << i.dump();
  EXPECT_EQ(r["rollback"]["result"], "confirmed");
  ASSERT_TRUE(r["failover"].is_array() && !r["failover"].empty()) << r["failover"].dump();
  const json* start = nullptr;  // the cut's start edge: hz's users failed over
  for (const auto& e : r["failover"]) {
    if (e["fault"] == "cut-hz" && e["edge"] == "start") start = &e;
  }
  ASSERT_TRUE(start && (*start)["per_dc"].contains("hz")) << r["failover"].dump(2);
  const json& hz = (*start)["per_dc"]["hz"];
  EXPECT_TRUE(hz["detection_ms"].is_number()) << hz.dump();
  EXPECT_TRUE(hz["rto_ms"].is_number()) << hz.dump();
  EXPECT_GE(hz["rto_ms"].get<double>(), 500.0) << "hz's units cannot move before their lease ends";
  // As the operator sees it: every host answers `injector status`, none holds a fault.
  std::string status;
  ASSERT_EQ(cli_.command({"status", "--inventory", lab_inventory(*lab_), "--output", "json"}, "status.log", &status), 0) << status;
  const json st = json::parse(status.substr(std::min(status.find('{'), status.size())), nullptr, false);
  ASSERT_TRUE(st.is_object() && st["ok"] == true) << status;
  ASSERT_EQ(st["hosts"].size(), lab_->inventory().hosts.size()) << status;
  for (const auto& h : st["hosts"]) EXPECT_TRUE(h["answer"]["faults"].empty()) << h.dump();
  EXPECT_EQ(lab_faults(*lab_), 0);
}

TEST_F(RunOnTheLab, AnOutageLongerThanTheExpectedRtoFailsTheDrill) {
  // The real RTO is at least the services' 1 s lease: 0.2 s cannot hold.
  ASSERT_EQ(run("lab-rto", cut_playbook("lab-rto", "5s", "{metric: rto, dc: hz, op: \"<=\", value: 200ms}")), 20) << log_;
  const json r = cli_.report("lab-rto");
  ASSERT_EQ(r["expectations"].size(), 1u) << r.dump(2);
  const json& x = r["expectations"][0];
  EXPECT_EQ(x["result"], "fail");
  ASSERT_TRUE(x["measured"].is_number()) << "an RTO measured, not guessed: " << x.dump();
  EXPECT_GT(x["measured"].get<double>(), 0.2);
  EXPECT_EQ(lab_faults(*lab_), 0);
}

TEST_F(RunOnTheLab, AGuardBreachAbortsAndRevertsEveryFaultPromptly) {
  const std::string guard =
      "guards:\n  - name: hz-ok\n    expect: {metric: success_rate, dc: hz, op: \">=\", value: 0.95, window: 1s, for: 2}\n";
  ASSERT_EQ(run("lab-guard", cut_playbook("lab-guard", "8s", "", guard)), 22) << log_;
  const json r = cli_.report("lab-guard");
  ASSERT_EQ(r["guards"].size(), 1u) << r.dump(2);
  const json& g = r["guards"][0];
  EXPECT_TRUE(g["tripped"].get<bool>());
  ASSERT_TRUE(g["breach_unix_us"].is_number() && g["revert_sent_unix_us"].is_number() &&
              g["revert_confirmed_unix_us"].is_number()) << g.dump(2);
  const auto breach = g["breach_unix_us"].get<std::int64_t>();
  const auto sent = g["revert_sent_unix_us"].get<std::int64_t>();
  const auto confirmed = g["revert_confirmed_unix_us"].get<std::int64_t>();
  EXPECT_LE(breach, sent);
  EXPECT_LE(sent, confirmed);
  EXPECT_LT(confirmed - breach, 2'000'000) << "the abort took too long";
  // The positive control: the fault was active, and ended well before its 8 s.
  const json* f = fault_of(r, "cut-hz");
  ASSERT_TRUE(f && (*f)["active_unix_us"].is_number()) << r["faults"].dump(2);
  EXPECT_LT(confirmed, (*f)["planned_end_unix_us"].get<std::int64_t>() - 2'000'000);
  EXPECT_EQ(lab_faults(*lab_), 0);
}

// A stop signal once or twice during the hold: exit 130, nothing left, a report.
// Checked as soon as the CLI exits: well inside the hold (8 s) and the
// default lease (10 s), so only the CLI's own revert can have emptied them.
void interrupt_during_hold(DrillCli& cli, const PaymentsLab& lab, const std::string& name, int times, int signo = SIGINT) {
  auto p = cli.start(cli.playbook(name, cut_playbook(name, "8s", "")), name);
  ASSERT_TRUE(faults_arrive(lab, name)) << p->log();
  EXPECT_GT(lab_faults(lab, "drill", name), 0);  // positive control: the cut is on
  const auto signalled = std::chrono::steady_clock::now();
  for (int i = 0; i < times; ++i) p->signal(signo);
  const auto rc = p->wait_exit(kExitWait);
  ASSERT_TRUE(rc) << p->log();
  EXPECT_EQ(*rc, 130) << p->log();
  EXPECT_EQ(lab_faults(lab), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 6s) << "it did not stop at the signal";
}

TEST_F(RunOnTheLab, CtrlCDuringTheHoldRevertsEverythingAndWritesTheReport) {
  interrupt_during_hold(cli_, *lab_, "lab-int", 1);
  const json r = cli_.report("lab-int");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["verdict"]["result"], "interrupted");
  EXPECT_EQ(r["rollback"]["result"], "confirmed");
}

TEST_F(RunOnTheLab, ASecondCtrlCStillLeavesNoFault) {
  interrupt_during_hold(cli_, *lab_, "lab-int2", 2);
}

TEST_F(RunOnTheLab, SigtermDuringTheHoldRollsBackLikeCtrlC) {
  interrupt_during_hold(cli_, *lab_, "lab-term", 1, SIGTERM);
  const json r = cli_.report("lab-term");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["rollback"]["result"], "confirmed");
}

TEST_F(RunOnTheLab, AKilledCliLeavesNothingAfterOneLease) {
  auto p = cli_.start(cli_.playbook("lab-kill", cut_playbook("lab-kill", "20s", "", "safety: {lease: 2s}\n")), "lab-kill");
  ASSERT_TRUE(faults_arrive(*lab_, "lab-kill")) << p->log();
  p->signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(p->wait_exit(5s));
  EXPECT_GT(lab_faults(*lab_, "drill", "lab-kill"), 0) << "positive control: the faults outlive the CLI for a while";
  std::this_thread::sleep_until(killed + 2s + 3s);  // one lease, and a margin for a loaded machine
  EXPECT_EQ(lab_faults(*lab_), 0);
}

// Someone else's fault on the fleet: refused by name, or drilled on top of
// with --force and left exactly as it was.
TEST_F(RunOnTheLab, PreflightRefusesForeignFaultsAndForceLeavesThemAlone) {
  std::string applied;
  ASSERT_EQ(cli_.command({"link", "--inventory", lab_inventory(*lab_), "--between", "sh:sz", "delay", "--delay", "1ms",
                          "--for", "2m", "--detach", "--label", "team=x", "--output", "json"},
                         "foreign.log", &applied), 0) << applied;
  const int foreign = lab_faults(*lab_, "team", "x");
  ASSERT_GT(foreign, 0) << applied;
  const std::string pb = cut_playbook("lab-foreign", "4s", "");
  EXPECT_EQ(run("lab-refused", pb), 25) << log_;
  EXPECT_NE(log_.find("team=x"), std::string::npos) << "the refusal names the holder\n" << log_;
  EXPECT_EQ(lab_faults(*lab_, "drill", "lab-foreign"), 0) << "a refused drill sends nothing";
  EXPECT_EQ(run("lab-forced", pb, {"--force"}), 0) << log_;
  const json r = cli_.report("lab-forced");
  ASSERT_TRUE(r.is_object() && fault_of(r, "cut-hz")) << log_;
  EXPECT_EQ((*fault_of(r, "cut-hz"))["revert"], "confirmed");
  EXPECT_EQ(lab_faults(*lab_, "team", "x"), foreign) << "the drill touched a fault that is not its own";
  EXPECT_EQ(lab_faults(*lab_), foreign);
  const json op = json::parse(applied.substr(applied.find('{')), nullptr, false);
  std::string reverted;
  EXPECT_EQ(cli_.command({"revert", "--inventory", lab_inventory(*lab_), "--op", op.value("operation", "?")},
                         "foreign-revert.log", &reverted), 0) << reverted;
  EXPECT_EQ(lab_faults(*lab_), 0);
}

// One daemon that stops answering (SIGSTOP) must not cost the others their
// fault: the drill keeps renewing the healthy hosts' leases while the stuck
// one's renewal hangs. Checked on the healthy hosts well inside the hold.
TEST_F(RunOnTheLab, AHungDaemonDoesNotLetTheOtherHostsLeasesLapse) {
  auto p = cli_.start(cli_.playbook("lab-hung", cut_playbook("lab-hung", "5s", "", "safety: {lease: 1s}\n")), "lab-hung");
  ASSERT_TRUE(faults_arrive(*lab_, "lab-hung")) << p->log();
  std::this_thread::sleep_for(1s);  // prepared and committed on every host, not stopped mid-apply
  const int all = lab_faults(*lab_, "drill", "lab-hung");
  const pid_t daemon = std::stoi(injector::testing::run_checked({"cat", "/run/injector-lab/" + lab_->prefix() + "/pid/sz-1.pid"}));
  ASSERT_EQ(::kill(daemon, SIGSTOP), 0);
  std::this_thread::sleep_for(3s);  // three leases with sz-1 stuck
  int healthy = 0;
  for (const auto& r : injector::fleet::call_each(lab_->inventory(), "GET", "/v1/faults",
                                                  injector::fleet::CallOptions{std::chrono::milliseconds(500)})) {
    if (r.ok()) healthy += static_cast<int>(r.body["faults"].size());
  }
  ::kill(daemon, SIGCONT);
  EXPECT_EQ(healthy, all - 1) << "the healthy hosts lost their faults while sz-1 hung";
  const auto rc = p->wait_exit(kExitWait);
  ASSERT_TRUE(rc) << p->log();
  EXPECT_TRUE(*rc == 0 || *rc == 23) << p->log();
  std::this_thread::sleep_for(2s);  // sz-1's own lease, now that it runs again
  EXPECT_EQ(lab_faults(*lab_), 0);
}

// A `run` step that fails (nothing listens on the port) fails the drill with
// 20 and the drill goes on; the same call to the router beside it succeeds.
TEST_F(RunOnTheLab, AFailedRunStepFailsTheDrillAndTheLaterStepsStillRun) {
  const std::string pb = "version: 1\nname: lab-runstep\nworkload:\n  payments: {rate: 50}\nsteps:\n"
                         "  - id: works\n    run: {http: {url: \"" + lab_->api_url() + "/v1/units\", timeout: 5s}}\n"
                         "  - id: refused\n    run: {http: {url: \"http://127.0.0.1:9/\", timeout: 2s}}\n"
                         "  - id: later\n    wait: 1s\n";
  ASSERT_EQ(run("lab-runstep", pb), 20) << log_;
  const json r = cli_.report("lab-runstep");
  ASSERT_TRUE(r.is_object()) << log_;
  std::map<std::string, std::string> result;
  for (const auto& s : r["steps"]) result[s["id"]] = s["result"];
  EXPECT_EQ(result["works"], "ok") << r["steps"].dump(2);
  EXPECT_EQ(result["refused"], "failed") << r["steps"].dump(2);
  EXPECT_EQ(result["later"], "ok") << r["steps"].dump(2);
  EXPECT_EQ(r["verdict"]["reason"].get<std::string>().rfind("steps[1]", 0), 0u) << r["verdict"].dump();
}

}  // namespace
