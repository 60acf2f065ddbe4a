// `injector run` end to end against a daemon minus the kernel (the real
// HTTP server and API router over a FakeTc): preflight, a fault applied,
// held by its lease past the lease's length and reverted, every exit path
// leaving the daemon clean, without root. The lab's integration tests do the
// same on real kernels with payments.
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/injector/served_daemon.h"

namespace {

using injector::testing::CliResult;
using injector::testing::run_cli;
using nlohmann::json;
using namespace std::chrono_literals;

class RunServed : public injector::testing::TickingDaemon {
 protected:

  // One datacenter, one host: this daemon.
  std::string inventory() {
    const std::string path = dir.file("inventory.yaml");
    std::ofstream(path) << "version: 1\ndatacenters:\n  - {name: a, cidrs: [10.98.0.0/16]}\n"
                           "hosts:\n  - {name: a-1, datacenter: a, daemon: \"" + daemon() + "\", device: eth0, addresses: [10.98.0.11]}\n";
    return path;
  }
  // A drill of one inject on a-1 (a bandwidth cap: the fake kernel takes it), held `hold`.
  std::string playbook(const std::string& hold, const std::string& lease = "1s") {
    const std::string path = dir.file("drill.yaml");
    std::ofstream(path) << "version: 1\nname: served\nsafety: {max_duration: 1m, lease: " << lease << "}\n"
                        << "steps:\n  - id: cap\n    inject:\n      host: {host: a-1, to: [10.99.0.0/16]}\n"
                        << "      impair: {rate: 10mbit}\n      for: " << hold << "\n";
    return path;
  }
  CliResult run(const std::string& hold, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", playbook(hold), "--inventory", inventory(), "--report", dir.file("report")};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
  json report() const {
    std::ifstream in(dir.file("report") + "/report.json");
    return json::parse(in, nullptr, false);
  }
  // The daemon's faults, through its API (the fake kernel lives on its io thread).
  json faults() const {
    const CliResult r = fault({"list", "--output", "json"});
    return r.rc == 0 ? json::parse(r.out)["faults"] : json();
  }
  std::string apply_foreign() {
    const CliResult r = fault({"apply", "cut", "--dev", "eth0", "--to", "10.50.0.0/16", "--for", "1m", "--label", "team=payments"});
    EXPECT_EQ(r.rc, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
};

// Samples the daemon's fault count every 50 ms while the drill runs; keeps
// the largest seen from `from` on.
class Watcher {
 public:
  Watcher(std::function<json()> faults, std::chrono::milliseconds from)
      : thread_([this, faults = std::move(faults), from] {
          const auto start = std::chrono::steady_clock::now();
          while (!stop_) {
            const json f = faults();
            if (std::chrono::steady_clock::now() - start >= from && f.is_array()) {
              late_max_ = std::max<int>(late_max_, static_cast<int>(f.size()));
            }
            std::this_thread::sleep_for(50ms);
          }
        }) {}
  ~Watcher() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int late_max() const { return late_max_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> late_max_{0};
  std::thread thread_;
};

// A fault held 2.5 s under a 1 s lease is still there after 1.5 s (the
// runner renewed it: without renewals the daemon ends it at 1 s), and gone
// once the run ends, confirmed.
TEST_F(RunServed, AFaultIsHeldByItsLeaseAndRevertedAtItsEnd) {
  Watcher watch([this] { return faults(); }, 1500ms);
  const CliResult r = run("2500ms");
  watch.stop();
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(watch.late_max(), 1) << "the fault did not outlive its 1 s lease";
  EXPECT_TRUE(faults().empty()) << faults().dump();
  const json rep = report();
  ASSERT_EQ(rep["faults"].size(), 1u) << rep.dump(2);
  const json& f = rep["faults"][0];
  EXPECT_EQ(f["revert"], "confirmed");
  EXPECT_EQ(f["hosts"][0]["host"], "a-1");
  ASSERT_TRUE(f["active_unix_us"].is_number() && f["revert_confirmed_unix_us"].is_number()) << f.dump(2);
  const double held_s = static_cast<double>(f["revert_confirmed_unix_us"].get<std::int64_t>() - f["active_unix_us"].get<std::int64_t>()) / 1e6;
  EXPECT_GE(held_s, 2.5);
  EXPECT_LT(held_s, 6.0);  // loose: a loaded machine
  EXPECT_EQ(rep["rollback"]["result"], "confirmed");
  EXPECT_EQ(rep["verdict"]["exit_code"], 0);
}

// Someone else's fault: the drill refuses (25) and names its holder; with
// --force it runs beside it and leaves it exactly as it was.
TEST_F(RunServed, PreflightRefusesAForeignFaultAndForceLeavesItAlone) {
  const std::string foreign = apply_foreign();
  CliResult r = run("300ms");
  EXPECT_EQ(r.rc, 25) << r.out << r.err;
  EXPECT_NE(r.out.find("team=payments"), std::string::npos) << r.out;
  ASSERT_EQ(faults().size(), 1u);  // nothing applied, nothing removed
  r = run("300ms", {"--force"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  const json left = faults();
  ASSERT_EQ(left.size(), 1u) << left.dump();
  EXPECT_EQ(left[0]["id"], foreign);
  EXPECT_EQ(report()["faults"][0]["revert"], "confirmed");  // the drill's own, reverted
}

// A daemon that never confirms a revert fails the drill with 23, naming
// the host; the lease then ends the fault on the daemon's side.
class RunServedNoRevert : public RunServed {
 protected:
  injector::http::Response serve(const injector::http::Request& r) override {
    if (refuse_deletes && r.method == "DELETE") return {503, R"({"error":"busy"})", "application/json"};
    return router.handle(r);
  }
  std::atomic<bool> refuse_deletes{true};
};

TEST_F(RunServedNoRevert, AnUnconfirmedRevertIs23AndNamesTheHost) {
  const CliResult r = run("300ms");
  EXPECT_EQ(r.rc, 23) << r.out << r.err;
  EXPECT_NE(r.out.find("a-1"), std::string::npos) << r.out;
  const json rep = report();
  EXPECT_EQ(rep["rollback"]["result"], "incomplete");
  EXPECT_EQ(rep["rollback"]["unconfirmed_hosts"], json::array({"a-1"}));
  refuse_deletes = false;
  EXPECT_EQ(fault({"revert", "--all"}).rc, 0);
}

// Ctrl-C during the hold: the drill stops at once, reverts, reports, 130.
TEST_F(RunServed, CtrlCDuringTheHoldRevertsAndExits130) {
  std::thread interrupt([] {
    std::this_thread::sleep_for(800ms);
    std::raise(SIGINT);
  });
  const auto start = std::chrono::steady_clock::now();
  const CliResult r = run("20s");
  const auto took = std::chrono::steady_clock::now() - start;
  interrupt.join();
  EXPECT_EQ(r.rc, 130) << r.out << r.err;
  EXPECT_LT(took, 10s);  // not the 20 s hold
  EXPECT_TRUE(faults().empty()) << faults().dump();
  EXPECT_EQ(report()["verdict"]["result"], "interrupted");
  EXPECT_EQ(report()["rollback"]["result"], "confirmed");
}

}  // namespace

namespace {

// A host whose clock is 5 s off would make every activation time and RTO a
// lie: preflight refuses it (25) and names it; the same host with its true
// clock passes (the control, in the same fixture).
class RunServedSkewed : public RunServed {
 protected:
  injector::http::Response serve(const injector::http::Request& r) override {
    injector::http::Response answer = router.handle(r);
    if (skew_us != 0 && r.target == "/v1/health") {
      json body = json::parse(answer.body);
      body["now_unix_us"] = body["now_unix_us"].get<std::int64_t>() + skew_us;
      answer.body = body.dump();
    }
    return answer;
  }
  std::atomic<std::int64_t> skew_us{5'000'000};
};

TEST_F(RunServedSkewed, PreflightRefusesAHostWhoseClockIsOff) {
  CliResult r = run("200ms");
  EXPECT_EQ(r.rc, 25) << r.out << r.err;
  EXPECT_NE(r.out.find("a-1: its clock is 5000 ms from this one's"), std::string::npos) << r.out;
  EXPECT_TRUE(faults().empty());
  skew_us = 0;
  r = run("200ms");
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
}

}  // namespace
