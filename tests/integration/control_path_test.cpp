// Control-path exclusion, on both backends: a daemon started with
// --management tcp:2222 keeps that port's connections (and ARP) alive under a
// cut that covers every address (traffic control: a cut; the delay line: 100 %
// loss), while everything else to the same hosts is cut, unless the fault opts
// out with control_path include.

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;

constexpr std::uint16_t kManagementPort = 2222;

class ControlPath : public DaemonInLab, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    DaemonInLab::SetUp();
    if (IsSkipped()) return;
    daemon_.reset();  // SIGTERM: the plain daemon reverts nothing and exits
    start_daemon({"--management", "tcp:" + std::to_string(kManagementPort)});
  }

  std::string apply(const std::string& direction, bool include_control_path = false) const {
    const bool delayline = GetParam() == "delayline";
    json body = {{"device", "eth0"}, {"direction", direction}, {"match", {{"to", {"0.0.0.0/0", "::/0"}}}},
                 {"backend", GetParam()},
                 {"impairments", delayline ? json{{"loss", {{"percent", 100}}}} : json{{"cut", json::object()}}}};
    if (include_control_path) body["control_path"] = "include";
    auto a = api("POST", "/v1/faults", body.dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    return a.body.value("id", "");
  }

  // b connects to a TCP listener in a on `port` (0: an ephemeral one).
  bool tcp_to_a(std::uint16_t port, bool v6 = false) const {
    return tcp_connects(lab_->ns('b'), lab_->ns('a'), v6 ? ThreeSiteLab::v6('a') : ThreeSiteLab::v4('a'),
                        std::chrono::milliseconds(1000), port);
  }

  void expect_nothing_left() const {
    EXPECT_EQ(lab_->tc_snapshot('a'), baseline_) << "the exclusions go with the root";
    const std::string ruleset = lab_->exec('a', {"nft", "list", "ruleset"}).out;
    EXPECT_EQ(ruleset.find("injectord"), std::string::npos) << ruleset;
  }

  std::string gateway_neighbour() const {
    return lab_->exec('a', {"ip", "neigh", "show", "dev", "eth0", "10.231.1.1"}).out;
  }
};

TEST_P(ControlPath, EgressCutOfEverythingSparesTheManagementPortAndArp) {
  // Everything is cut, so the controls for ping and UDP are the same probes before the fault.
  const int pings_before = ping_received(lab_->ns('a'), ThreeSiteLab::v4('b'), 3);
  const int udp_before = udp('a', 'b', false, 5);
  const std::string id = apply("egress");
  // Forget the gateway's MAC: the management connection below can only answer
  // after a's ARP request and the router's ARP reply got through the cut.
  lab_->exec('a', {"ip", "neigh", "flush", "dev", "eth0"});
  EXPECT_TRUE(tcp_to_a(kManagementPort)) << "the management port must stay reachable";
  const std::string neigh = gateway_neighbour();
  EXPECT_NE(neigh.find("lladdr"), std::string::npos) << "ARP did not resolve the gateway: " << neigh;
  EXPECT_TRUE(neigh.find("REACHABLE") != std::string::npos || neigh.find("STALE") != std::string::npos) << neigh;
  EXPECT_TRUE(tcp_to_a(kManagementPort, true)) << "IPv6 too";
  // Exact otherwise: other traffic between the same hosts is cut.
  EXPECT_TRUE(nothing_delivered([&] { return tcp_to_a(0); }, [&] { return tcp_to_a(kManagementPort); }, 1))
      << "another port on a must be cut";
  EXPECT_TRUE(nothing_delivered_after_control(pings_before, 3,
                                              [&] { return ping_received(lab_->ns('a'), ThreeSiteLab::v4('b'), 3); }));
  EXPECT_TRUE(nothing_delivered_after_control(udp_before, 5, [&] { return udp('a', 'b', false, 5); }));
  const auto f = api("GET", "/v1/faults/" + id).body;
  ASSERT_EQ(f["excluded"].size(), 1u) << f.dump();
  EXPECT_EQ(f["excluded"][0].value("text", ""), "tcp local port 2222");
  EXPECT_GT(f["counters"].value("packets_dropped", 0), 0) << f.dump();
  EXPECT_EQ(f.value("backend", ""), GetParam() == "delayline" ? "delayline" : "netem");
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  expect_nothing_left();
}

TEST_P(ControlPath, IngressCutSparesTheManagementPortOnly) {
  const int udp_before = udp('b', 'a', false, 5);
  apply("ingress");
  EXPECT_TRUE(tcp_to_a(kManagementPort, true));
  EXPECT_TRUE(nothing_delivered([&] { return tcp_to_a(0); }, [&] { return tcp_to_a(kManagementPort); }, 1));
  EXPECT_TRUE(nothing_delivered_after_control(udp_before, 5, [&] { return udp('b', 'a', false, 5); }));
}

TEST_P(ControlPath, AFaultThatOptsOutCutsTheManagementPortToo) {
  const int v4_before = tcp_to_a(kManagementPort), v6_before = tcp_to_a(kManagementPort, true);
  const std::string id = apply("both", /*include_control_path=*/true);
  EXPECT_TRUE(nothing_delivered_after_control(v4_before, 1, [&] { return tcp_to_a(kManagementPort); }));
  EXPECT_TRUE(nothing_delivered_after_control(v6_before, 1, [&] { return tcp_to_a(kManagementPort, true); }));
  const auto f = api("GET", "/v1/faults/" + id).body;
  EXPECT_TRUE(f["excluded"].empty()) << f.dump();
  EXPECT_EQ(f["spec"].value("control_path", ""), "include");
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_TRUE(tcp_to_a(kManagementPort));
  expect_nothing_left();
}

// Traffic control orders filters by priority: an opted-out fault sits ahead of
// the exclusions, so it cuts the management port even beside a fault that
// spares it. (In the delay line, overlapping faults never stack: the first
// rule that takes a packet is the only one it meets.)
TEST_P(ControlPath, AnOptedOutFaultBesideASparingOneStillCutsTheManagementPort) {
  if (GetParam() == "delayline") GTEST_SKIP() << "overlapping delay-line faults do not stack";
  const std::string spared = apply("both");
  const int before = tcp_to_a(kManagementPort);
  const std::string id = apply("egress", /*include_control_path=*/true);
  EXPECT_TRUE(nothing_delivered_after_control(before, 1, [&] { return tcp_to_a(kManagementPort); }))
      << "opted out: its filters sit ahead of the exclusions";
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_TRUE(tcp_to_a(kManagementPort)) << "spared again once the opted-out fault is gone";
  ASSERT_EQ(api("DELETE", "/v1/faults/" + spared).status, 200);
  expect_nothing_left();
}

TEST_P(ControlPath, BadManagementEntryStopsTheDaemonNamingTheFlag) {
  daemon_.reset();
  const auto r = run_command({"ip", "netns", "exec", lab_->ns('a'), INJECTORD_BIN, "--socket", socket_path(),
                              "--state-dir", dir_ + "/state", "--management", "tcp:99999"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("--management"), std::string::npos) << r.out;
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// netem here means the kernel's traffic control: a cut needs no sch_netem.
INSTANTIATE_TEST_SUITE_P(Backends, ControlPath, ::testing::Values("netem", "delayline"));

}  // namespace
}  // namespace injector::testing
