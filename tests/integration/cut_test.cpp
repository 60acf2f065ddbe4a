// The cut fault on real traffic: three namespaces, a daemon in site a, and
// measured delivery to sites b and c before, during and after each fault.

#include <csignal>
#include <thread>

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;
using Cut = DaemonInLab;

std::vector<std::string> site_b() { return {ThreeSiteLab::v4_net('b'), ThreeSiteLab::v6_net('b')}; }

TEST_F(Cut, DropsTrafficToTheTargetOnlyV4AndV6) {
  for (bool v6 : {false, true}) {
    ASSERT_EQ(udp('a', 'b', v6), 20) << "baseline to b, v6=" << v6;
    ASSERT_EQ(udp('a', 'c', v6), 20) << "baseline to c, v6=" << v6;
  }
  const std::string id = apply_cut(site_b());
  ASSERT_FALSE(id.empty());
  for (bool v6 : {false, true}) {
    // c, out of the same eth0, is the control: untouched, so the probes work.
    EXPECT_TRUE(udp_none('a', 'b', v6, 'c', v6)) << "to b during the cut, v6=" << v6;
    EXPECT_TRUE(tcp_none('a', 'b', v6, 'c', v6)) << "TCP to b during the cut, v6=" << v6;
  }
  EXPECT_TRUE(ping_none('a', ThreeSiteLab::v4('b'), ThreeSiteLab::v4('c'), 5));
  const auto got = api("GET", "/v1/faults/" + id);
  EXPECT_GE(got.body["counters"].value("packets_dropped", 0), 40) << got.body.dump();

  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  for (bool v6 : {false, true}) EXPECT_EQ(udp('a', 'b', v6), 20) << "to b after revert, v6=" << v6;
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_) << "revert must restore the original root qdisc exactly";
}

TEST_F(Cut, ArpAndNeighbourDiscoveryAreNeverCut) {
  // Cut everything, then make a re-resolve its gateway: resolution must still work.
  // The same pings before the cut are the control.
  const int before_v4 = ping_received(lab_->ns('a'), "10.231.1.1", 3);
  const int before_v6 = ping_received(lab_->ns('a'), "fd31:1::1", 3);
  apply_cut({"0.0.0.0/0", "::/0"});
  lab_->exec('a', {"ip", "neigh", "flush", "dev", "eth0"});
  EXPECT_TRUE(nothing_delivered_after_control(before_v4, 3, [&] { return ping_received(lab_->ns('a'), "10.231.1.1", 3); }));
  EXPECT_TRUE(nothing_delivered_after_control(before_v6, 3, [&] { return ping_received(lab_->ns('a'), "fd31:1::1", 3); }));
  const std::string neigh = lab_->exec('a', {"ip", "neigh", "show", "dev", "eth0"}).out;
  for (const char* gw : {"10.231.1.1 ", "fd31:1::1 "}) {
    const auto at = neigh.find(gw);
    ASSERT_NE(at, std::string::npos) << neigh;
    const std::string line = neigh.substr(at, neigh.find('\n', at) - at);
    EXPECT_NE(line.find("lladdr"), std::string::npos) << "gateway not resolved: " << line;
  }
}

TEST_F(Cut, SeveralFaultsOnOneDeviceRevertIndependently) {
  const std::string to_b = apply_cut(site_b());
  const std::string to_c = apply_cut({ThreeSiteLab::v4_net('c')});
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', true)) << "only c's IPv4 network was cut";
  EXPECT_TRUE(udp_none('a', 'c', false, 'c', true));
  ASSERT_EQ(api("DELETE", "/v1/faults/" + to_b).status, 200);
  EXPECT_TRUE(udp_none('a', 'c', false, 'b', false)) << "b is back; the other fault must stay in force";
  ASSERT_EQ(api("DELETE", "/v1/faults").status, 200);
  EXPECT_EQ(udp('a', 'c', false), 20);
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 0u);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// Not before its 3 s lifetime (the daemon starts the clock after `sent`), and
// within 300 ms after it (counted from `applied`, after the daemon started the
// clock): an expiry 20% late (3.6 s) or early (2.4 s) fails, while a right
// one is late by the timer's wake-up, tens of ms on a loaded 2-core machine.
TEST_F(Cut, ExpiresAtTheEndOfItsLifetime) {
  constexpr std::chrono::milliseconds kLifetime(3000), kLateBound(300);
  const auto sent = Clock::now();
  apply_cut(site_b(), static_cast<int>(kLifetime.count()));
  const auto applied = Clock::now();
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 3));  // at most 0.7 s: well inside the lifetime
  const Disappearance d = wait_for_no_faults(std::chrono::seconds(6));
  ASSERT_TRUE(d.gone) << "still there 6 s after a 3 s lifetime";
  print_expiry("lifetime", d, applied, kLifetime);
  EXPECT_GE(d.first_gone - sent, kLifetime) << "gone before its lifetime ended";
  EXPECT_LT(d.last_seen - applied, kLifetime + kLateBound) << "still there 300 ms after its lifetime ended";
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// SIGTERM (a service manager's stop) and SIGINT (Ctrl-C in a terminal) both
// revert every fault before the daemon exits 0.
class StopSignal : public DaemonInLab, public ::testing::WithParamInterface<int> {};

TEST_P(StopSignal, RevertsEverythingAndExitsZero) {
  apply_cut(site_b());
  apply_cut({ThreeSiteLab::v6_net('c')});
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false));
  EXPECT_TRUE(udp_none('a', 'c', true, 'c', false));
  daemon_->signal(GetParam());
  EXPECT_EQ(daemon_->wait_exit(std::chrono::seconds(5)), 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("signal " + std::to_string(GetParam()) + ": reverting every fault"), std::string::npos)
      << daemon_->log();
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(udp('a', 'c', true), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

INSTANTIATE_TEST_SUITE_P(Cut, StopSignal, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& p) { return p.param == SIGINT ? "Sigint" : "Sigterm"; });

TEST_F(Cut, ForeignRootQdiscIsRefusedAndLeftAlone) {
  lab_->exec('a', {"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "1"});
  const std::string before = lab_->tc_snapshot('a');
  ASSERT_NE(before, baseline_);
  const auto a = api("POST", "/v1/faults", cut_body(site_b()).dump());
  EXPECT_EQ(a.status, 409) << a.body.dump();
  EXPECT_EQ(a.body["error"].value("code", ""), "conflict");
  EXPECT_EQ(lab_->tc_snapshot('a'), before);
  EXPECT_EQ(udp('a', 'b', false), 20);
  lab_->exec('a', {"tc", "qdisc", "del", "dev", "eth0", "root"});
}

TEST_F(Cut, TenThousandTargetsFitAndStillCutExactly) {
  std::vector<std::string> targets;
  for (int i = 0; targets.size() < 9'999; ++i) targets.push_back("10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "/32");
  targets.push_back(ThreeSiteLab::v4_net('b'));
  const std::string id = apply_cut(targets);
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false));
  EXPECT_EQ(api("GET", "/v1/faults/" + id).body["kernel"].value("filter_rules", 0), 10'000);
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(Cut, DaemonStartRemovesWhatACrashedRunLeftWhenItsLifetimeEnded) {
  apply_cut(site_b(), 1500);
  daemon_->signal(SIGKILL);
  daemon_->wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(udp_none('a', 'b', false, 'c', false)) << "a killed daemon cannot revert";
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));  // the lifetime ends while it is down
  start_daemon();
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 0u);
}

TEST_F(Cut, DaemonStartResumesACutWhoseLifetimeGoesOn) {
  const std::string id = apply_cut(site_b(), 300'000);
  daemon_->signal(SIGKILL);
  daemon_->wait_exit(std::chrono::seconds(5));
  start_daemon();
  const auto a = api("GET", "/v1/faults/" + id);
  ASSERT_EQ(a.status, 200) << "resumed under its own id: " << a.body.dump();
  EXPECT_GT(a.body.value("expires_in_ms", 0), 250'000);
  EXPECT_LE(a.body.value("expires_in_ms", 0), 300'000);
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false));
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

}  // namespace
}  // namespace injector::testing
