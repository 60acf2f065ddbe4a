// Impairments this kernel serves (bandwidth, flap, targeted cuts, in-place
// updates), measured on real traffic. netem's kinds run in the stock-kernel
// lane (tests/vm); here, a netem fault must be refused naming the missing feature.

#include "integration/daemon_fixture.h"
#include "support/stats.h"

namespace injector::testing {
namespace {

using nlohmann::json;

class Impair : public DaemonInLab {
 protected:
  json fault(const json& impairments, const json& match) const {
    return {{"device", "eth0"}, {"match", match}, {"impairments", impairments}};
  }
  std::string apply(const json& body) const {
    auto a = api("POST", "/v1/faults", body.dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    return a.body.value("id", "");
  }
  // TCP goodput a -> site, Mbit/s, from iperf3 over `seconds`.
  double goodput_mbit(char site, int seconds = 3) const {
    ChildProcess server({"ip", "netns", "exec", lab_->ns(site), "iperf3", "-s", "-1", "-p", "5201"},
                        dir_ + "/iperf3-server.log");
    if (!wait_for_listener(lab_->ns(site), 5201, std::chrono::seconds(10))) ADD_FAILURE() << "iperf3 -s never listened";
    auto r = lab_->exec('a', {"iperf3", "-c", ThreeSiteLab::v4(site), "-p", "5201", "-t", std::to_string(seconds), "-J"});
    const json j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("end")) ADD_FAILURE() << "iperf3: " << r.out;
    return j.is_discarded() ? 0 : j["end"]["sum_received"].value("bits_per_second", 0.0) / 1e6;
  }
};

TEST_F(Impair, BandwidthCapGivesGoodputWithinTenPercent) {
  apply(fault({{"bandwidth", {{"rate_bps", 10'000'000}}}}, {{"to", {ThreeSiteLab::v4_net('b')}}}));
  const double capped = goodput_mbit('b');
  EXPECT_GT(capped, 9.0) << "10 mbit cap";
  EXPECT_LT(capped, 11.0) << "10 mbit cap";
  EXPECT_GT(goodput_mbit('c', 2), 100.0) << "traffic to c is not capped";
}

TEST_F(Impair, UpdateChangesTheCapInPlace) {
  const std::string id = apply(fault({{"bandwidth", {{"rate_bps", 5'000'000}}}}, {{"to", {ThreeSiteLab::v4_net('b')}}}));
  EXPECT_NEAR(goodput_mbit('b', 2), 5.0, 0.5);
  auto u = api("PATCH", "/v1/faults/" + id, json{{"impairments", {{"bandwidth", {{"rate_bps", 20'000'000}}}}}}.dump());
  ASSERT_EQ(u.status, 200) << u.body.dump();
  EXPECT_EQ(u.body["id"], id);
  EXPECT_NEAR(goodput_mbit('b', 2), 20.0, 2.0);
  // From a cap to a cut and back, still the same fault, never reverted in between.
  ASSERT_EQ(api("PATCH", "/v1/faults/" + id, json{{"impairments", {{"cut", json::object()}}}}.dump()).status, 200);
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 5));
  ASSERT_EQ(api("PATCH", "/v1/faults/" + id, json{{"impairments", {{"bandwidth", {{"rate_bps", 5'000'000}}}}}}.dump()).status, 200);
  EXPECT_EQ(udp('a', 'b', false, 5), 5);
  EXPECT_GE(api("GET", "/v1/faults/" + id).body["counters"].value("packets_dropped", 0), 5) << "counts survive a leaf swap";
}

// Lengths of the complete runs of equal values (the first and last runs are cut short, so dropped).
// A run of one or two probes is a lone late or lost echo on a busy machine, not
// a phase (the shortest phase here is 30 probes): it is merged into its neighbours.
std::vector<std::pair<bool, int>> inner_runs(const std::vector<bool>& samples) {
  std::vector<std::pair<bool, int>> runs;
  for (bool s : samples) {
    if (runs.empty() || runs.back().first != s) runs.push_back({s, 0});
    ++runs.back().second;
  }
  std::vector<std::pair<bool, int>> merged;
  for (const auto& run : runs) {
    if (!merged.empty() && (run.second <= 2 || merged.back().first == run.first)) {
      merged.back().second += run.second;
    } else {
      merged.push_back(run);
    }
  }
  if (merged.size() >= 2) merged.erase(merged.begin()), merged.pop_back();
  return merged;
}

// Catches a down fraction off by 10 points (judged within 5: over six whole
// periods the schedule gives exactly 30%, so only the ~12 switches can blur
// it, by a probe or two each), and phases off by max(20%, 5 ms) (judged by
// the median phase, within half that).
TEST_F(Impair, FlapAlternatesOnItsSchedule) {
  apply(fault({{"flap", {{"period_ms", 1000}, {"down_pct", 30}}}}, {{"to", {ThreeSiteLab::v4_net('b')}}}));
  const int per_period = 100;  // probes 10 ms apart
  const auto samples = udp_delivery_timeline(lab_->ns('a'), lab_->ns('b'), ThreeSiteLab::v4('b'), std::chrono::milliseconds(10),
                                         6 * per_period);
  const double down = static_cast<double>(std::count(samples.begin(), samples.end(), false)) / static_cast<double>(samples.size());
  EXPECT_NEAR(down, 0.30, 0.05) << "down fraction over six whole periods";
  const auto runs = inner_runs(samples);
  ASSERT_GE(runs.size(), 6u) << "expected several down/up switches in 6 s";
  std::vector<double> up_ms, down_ms;
  for (const auto& [delivered, n] : runs) (delivered ? up_ms : down_ms).push_back(n * 10.0);
  for (auto* v : {&up_ms, &down_ms}) std::sort(v->begin(), v->end());
  EXPECT_NEAR(up_ms[up_ms.size() / 2], 700, stats::median_tolerance_ms(700)) << "median up phase";
  EXPECT_NEAR(down_ms[down_ms.size() / 2], 300, stats::median_tolerance_ms(300)) << "median down phase";
  std::printf("[ figures  ] flap 30%% of 1 s: down %.3f of 600 probes, median up %.0f ms, median down %.0f ms\n", down,
              up_ms[up_ms.size() / 2], down_ms[down_ms.size() / 2]);
  EXPECT_EQ(udp('a', 'c', false, 10), 10) << "c never flaps";
}

TEST_F(Impair, PortTargetedCutLeavesOtherPortsAlone) {
  for (bool v6 : {false, true}) {
    const std::string net = v6 ? ThreeSiteLab::v6_net('b') : ThreeSiteLab::v4_net('b');
    const std::string id = apply(fault({{"cut", json::object()}}, {{"to", {net}}, {"protocol", "tcp"}, {"dport", 7001}}));
    const std::string addr = v6 ? ThreeSiteLab::v6('b') : ThreeSiteLab::v4('b');
    // Port 7002 on the same peer is the control: same path, same probe.
    const auto to_port = [&](std::uint16_t port) {
      return tcp_connects(lab_->ns('a'), lab_->ns('b'), addr, std::chrono::milliseconds(700), port);
    };
    EXPECT_TRUE(nothing_delivered([&] { return to_port(7001); }, [&] { return to_port(7002); }, 1)) << "v6=" << v6;
    EXPECT_EQ(udp('a', 'b', v6, 10), 10) << "UDP is not TCP port 7001";
    ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  }
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(Impair, ProtocolTargetedCut) {
  apply(fault({{"cut", json::object()}}, {{"to", {ThreeSiteLab::v4_net('b')}}, {"protocol", "udp"}}));
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 5));
  EXPECT_TRUE(tcp('a', 'b', false));
  EXPECT_EQ(ping_received(lab_->ns('a'), ThreeSiteLab::v4('b'), 5), 5);
}

TEST_F(Impair, OverlappingTargetsGoToTheOlderFault) {
  const std::string cut = apply(fault({{"cut", json::object()}}, {{"to", {ThreeSiteLab::v4_net('b')}}}));
  apply(fault({{"bandwidth", {{"rate_bps", 1'000'000}}}}, {{"to", {ThreeSiteLab::v4('b') + "/32"}}}));
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 5)) << "slot 1 (the cut) takes packets both faults match";
  ASSERT_EQ(api("DELETE", "/v1/faults/" + cut).status, 200);
  EXPECT_EQ(udp('a', 'b', false, 5), 5) << "then the cap, which passes a trickle";
  // The cap is really there: 1 Mbit/s to b, against well over 100 uncapped to
  // c out of the same eth0. Without it b would see about what c sees.
  const double capped = goodput_mbit('b', 2);
  EXPECT_GT(capped, 0.5) << "1 mbit cap";
  EXPECT_LT(capped, 1.5) << "1 mbit cap";
  EXPECT_GT(goodput_mbit('c', 2), 100.0) << "the control: traffic to c is not capped";
}

// Auto takes the delay line here (tests/integration/delayline_daemon_test.cpp);
// netem asked for by name is refused, naming what the kernel lacks.
TEST_F(Impair, NetemAskedForWithoutSchNetemIsRefusedNamingTheFeature) {
  const json caps = api("GET", "/v1/capabilities").body;
  if (caps["features"].value("sch_netem", false)) GTEST_SKIP() << "this kernel has sch_netem; the netem lane tests it";
  json body = fault({{"delay", {{"time_us", 30000}}}}, {{"to", {ThreeSiteLab::v4_net('b')}}});
  body["backend"] = "netem";
  const auto a = api("POST", "/v1/faults", body.dump());
  EXPECT_EQ(a.status, 422) << a.body.dump();
  EXPECT_NE(a.body["error"].value("message", "").find("sch_netem"), std::string::npos) << a.body.dump();
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

}  // namespace
}  // namespace injector::testing
