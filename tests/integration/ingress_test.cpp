// Ingress faults: what arrives on a's eth0 is redirected to an ifb of ours
// and impaired there. Measured from the other side: b sends, a must not hear.

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;

class Ingress : public DaemonInLab {
 protected:
  std::string apply(const std::string& direction, const json& impairments, const std::vector<std::string>& to) const {
    json body = {{"device", "eth0"}, {"direction", direction}, {"match", {{"to", to}}}, {"impairments", impairments}};
    auto a = api("POST", "/v1/faults", body.dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    return a.body.value("id", "");
  }
  bool ifb_exists() const { return lab_->exec('a', {"ip", "-o", "link", "show"}).out.find("ifbfa17-") != std::string::npos; }
};

std::vector<std::string> site(char s) { return {ThreeSiteLab::v4_net(s), ThreeSiteLab::v6_net(s)}; }

TEST_F(Ingress, CutDropsWhatArrivesFromTheTargetOnly) {
  const std::string id = apply("ingress", {{"cut", json::object()}}, site('b'));
  EXPECT_TRUE(ifb_exists());
  for (bool v6 : {false, true}) {
    // c -> a arrives on the same eth0 of a: the control, untouched.
    EXPECT_TRUE(nothing_delivered([&] { return udp('b', 'a', v6, 10); }, [&] { return udp('c', 'a', v6, 10); }, 10))
        << "b -> a must be dropped on a's ingress, v6=" << v6;
    EXPECT_TRUE(nothing_delivered([&] { return tcp('b', 'a', v6); }, [&] { return tcp('c', 'a', v6); }, 1))
        << "v6=" << v6;
  }
  // a's own egress to b is not cut, but b's answers are: nothing comes back.
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 5));
  const auto f = api("GET", "/v1/faults/" + id).body;
  EXPECT_GE(f["counters"].value("packets_dropped", 0), 20) << f.dump();
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_EQ(udp('b', 'a', false, 10), 10);
  EXPECT_FALSE(ifb_exists()) << "the ifb goes with the last ingress fault";
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(Ingress, BothDirectionsCutEachWay) {
  apply("both", {{"cut", json::object()}}, {ThreeSiteLab::v4_net('b')});
  EXPECT_TRUE(nothing_delivered([&] { return udp('b', 'a', false, 5); }, [&] { return udp('b', 'a', true, 5); }, 5))
      << "arriving from b (its IPv6 is the control)";
  EXPECT_EQ(udp('a', 'c', false, 5), 5);
  // The ingress half alone would also stop a's pings (the replies); prove the
  // egress half dropped the requests themselves, on eth0's own blackhole leaf.
  EXPECT_TRUE(ping_none('a', ThreeSiteLab::v4('b'), ThreeSiteLab::v4('c'), 3));
  const std::string egress = lab_->exec('a', {"tc", "-s", "qdisc", "show", "dev", "eth0"}).out;
  const auto leaf = egress.find("blackhole f001:");
  ASSERT_NE(leaf, std::string::npos) << egress;
  const std::string stats = egress.substr(leaf, egress.find("qdisc ", leaf + 1) - leaf);
  EXPECT_EQ(stats.find("(dropped 0,"), std::string::npos) << "no request dropped on egress: " << stats;
  ASSERT_EQ(api("DELETE", "/v1/faults").status, 200);
  EXPECT_EQ(udp('b', 'a', false, 5), 5);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(Ingress, BandwidthCapOnArrivingTraffic) {
  apply("ingress", {{"bandwidth", {{"rate_bps", 10'000'000}}}}, {ThreeSiteLab::v4_net('b')});
  ChildProcess server({"ip", "netns", "exec", lab_->ns('a'), "iperf3", "-s", "-1", "-p", "5202"}, dir_ + "/iperf.log");
  ASSERT_TRUE(wait_for_listener(lab_->ns('a'), 5202, std::chrono::seconds(10))) << server.log();
  auto r = lab_->exec('b', {"iperf3", "-c", ThreeSiteLab::v4('a'), "-p", "5202", "-t", "3", "-J"});
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const double mbit = j["end"]["sum_received"].value("bits_per_second", 0.0) / 1e6;
  EXPECT_GT(mbit, 9.0);
  EXPECT_LT(mbit, 11.0);
}

TEST_F(Ingress, ArpAndNeighbourDiscoveryStillResolve) {
  // The same pings before the cut are the control.
  const int before_v4 = ping_received(lab_->ns('a'), "10.231.1.1", 2);
  const int before_v6 = ping_received(lab_->ns('a'), "fd31:1::1", 2);
  apply("ingress", {{"cut", json::object()}}, {"0.0.0.0/0", "::/0"});
  lab_->exec('a', {"ip", "neigh", "flush", "dev", "eth0"});
  EXPECT_TRUE(nothing_delivered_after_control(before_v4, 2, [&] { return ping_received(lab_->ns('a'), "10.231.1.1", 2); }));
  EXPECT_TRUE(nothing_delivered_after_control(before_v6, 2, [&] { return ping_received(lab_->ns('a'), "fd31:1::1", 2); }));
  const std::string neigh = lab_->exec('a', {"ip", "neigh", "show", "dev", "eth0"}).out;
  for (const char* gw : {"10.231.1.1 ", "fd31:1::1 "}) {
    const auto at = neigh.find(gw);
    ASSERT_NE(at, std::string::npos) << neigh;
    EXPECT_NE(neigh.substr(at, neigh.find('\n', at) - at).find("lladdr"), std::string::npos) << neigh;
  }
}

TEST_F(Ingress, ForeignIngressQdiscIsRefusedAndLeftAlone) {
  ASSERT_EQ(lab_->exec('a', {"tc", "qdisc", "add", "dev", "eth0", "ingress"}).status, 0);
  const std::string before = lab_->tc_snapshot('a');
  json body = {{"device", "eth0"}, {"direction", "ingress"}, {"match", {{"to", site('b')}}},
               {"impairments", {{"cut", json::object()}}}};
  const auto a = api("POST", "/v1/faults", body.dump());
  EXPECT_EQ(a.status, 409) << a.body.dump();
  EXPECT_EQ(lab_->tc_snapshot('a'), before);
  EXPECT_FALSE(ifb_exists());
  lab_->exec('a', {"tc", "qdisc", "del", "dev", "eth0", "ingress"});
}

TEST_F(Ingress, RestartAfterKillRemovesIfbAndRedirectOnceTheLifetimeEnded) {
  json body = {{"device", "eth0"}, {"direction", "both"}, {"match", {{"to", {ThreeSiteLab::v4_net('b')}}}},
               {"impairments", {{"cut", json::object()}}}, {"lifetime", {{"duration_ms", 1500}}}};
  ASSERT_EQ(api("POST", "/v1/faults", body.dump()).status, 201);
  daemon_->signal(SIGKILL);
  daemon_->wait_exit(std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  start_daemon();
  EXPECT_FALSE(ifb_exists());
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
  EXPECT_EQ(udp('b', 'a', false, 5), 5);
}

}  // namespace
}  // namespace injector::testing
