// GET /metrics on the real daemon: a cut on real traffic shows up as an
// active fault and a dropped count, the totals outlive the revert, and
// promtool accepts the output.

#include <fstream>

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using Metrics = DaemonInLab;

std::string scrape(const std::string& endpoint) {
  const auto r = client::http_request(client::Endpoint::parse(endpoint), "GET", "/metrics");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.body;
}

// The value of one series, written as name{labels} exactly as rendered; -1 when absent.
long long value_of(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + series.size() + 2));
}

// promtool is installed by scripts/setup: a missing one is a failure, not a skip.
void expect_promtool_accepts(const std::string& text, const std::string& dir) {
  const std::string file = dir + "/metrics.txt";
  std::ofstream(file) << text;
  const auto which = run_command({"sh", "-c", "command -v promtool"});
  ASSERT_EQ(which.status, 0) << "promtool is missing: scripts/setup installs it (Debian package prometheus)";
  const auto check = run_command({"sh", "-c", "promtool check metrics < \"$0\"", file});
  EXPECT_EQ(check.status, 0) << check.out << "\n" << text;
}

TEST_F(Metrics, CutOnRealTrafficIsCountedAndTheTotalsOutliveTheRevert) {
  const std::string total = "injector_packets_dropped_total{device=\"eth0\",backend=\"netem\"}";
  std::string m = scrape(endpoint());
  EXPECT_EQ(value_of(m, "injector_faults_active"), 0) << m;
  const long long before = std::max(0LL, value_of(m, total));
  expect_promtool_accepts(m, dir_);

  const std::string id = apply_cut({ThreeSiteLab::v4_net('b')});
  ASSERT_FALSE(id.empty());
  constexpr int kSent = 20;
  ASSERT_TRUE(ping_none('a', ThreeSiteLab::v4('b'), ThreeSiteLab::v4('c'), kSent)) << "the cut lets pings through";
  m = scrape(endpoint());
  EXPECT_EQ(value_of(m, "injector_faults_active"), 1) << m;
  EXPECT_EQ(value_of(m, "injector_faults_active_by_kind{kind=\"cut\",backend=\"netem\"}"), 1) << m;
  const long long fault_dropped = value_of(
      m, "injector_fault_packets_dropped_total{fault=\"" + id + "\",device=\"eth0\",kind=\"cut\",backend=\"netem\"}");
  EXPECT_GE(fault_dropped, kSent) << m;
  const long long during = value_of(m, total);
  EXPECT_GE(during - before, kSent) << m;
  expect_promtool_accepts(m, dir_);

  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  m = scrape(endpoint());
  EXPECT_EQ(value_of(m, "injector_faults_active"), 0) << m;
  EXPECT_GE(value_of(m, total), during) << "a revert must not take the total back: " << m;
  EXPECT_EQ(value_of(m, "injector_fault_applies_total"), 1) << m;
  EXPECT_EQ(value_of(m, "injector_fault_reverts_total"), 1) << m;
  EXPECT_EQ(m.find(id), std::string::npos) << "the reverted fault's own series are gone: " << m;
  expect_promtool_accepts(m, dir_);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// This host's kernel has no sch_netem, so a delay goes to the delay line, which counts delayed packets.
TEST_F(Metrics, DelayLineFaultCountsDelayedPacketsAndKeepsThemAfterTheRevert) {
  nlohmann::json body = {{"device", "eth0"}, {"match", {{"to", {ThreeSiteLab::v4_net('b')}}}},
                         {"backend", "delayline"}, {"impairments", {{"delay", {{"time_us", 20'000}}}}}};
  const auto applied = api("POST", "/v1/faults", body.dump());
  if (applied.status == 422) GTEST_SKIP() << "no delay line on this kernel: " << applied.body.dump();
  ASSERT_EQ(applied.status, 201) << applied.body.dump();
  const std::string id = applied.body["id"];
  constexpr int kSent = 10;
  ASSERT_EQ(ping_received(lab_->ns('a'), ThreeSiteLab::v4('b'), kSent), kSent);
  std::string m = scrape(endpoint());
  const long long delayed = value_of(
      m, "injector_fault_packets_delayed_total{fault=\"" + id + "\",device=\"eth0\",kind=\"delay\",backend=\"delayline\"}");
  EXPECT_GE(delayed, kSent) << m;
  expect_promtool_accepts(m, dir_);
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  m = scrape(endpoint());
  EXPECT_GE(value_of(m, "injector_packets_delayed_total{device=\"eth0\",backend=\"delayline\"}"), delayed) << m;
  expect_promtool_accepts(m, dir_);
}

// A fault reverted because its lifetime ended counts once in
// injector_lifetime_expiries_total; one reverted on request does not, nor
// does either count as a lease expiry.
TEST_F(Metrics, ALifetimeThatEndsIsCountedAsAnExpiryAndARevertIsNot) {
  std::string m = scrape(endpoint());
  const long long expiries = value_of(m, "injector_lifetime_expiries_total");
  const long long leases = value_of(m, "injector_lease_expiries_total");
  ASSERT_GE(expiries, 0) << m;
  ASSERT_GE(leases, 0) << m;
  apply_cut({ThreeSiteLab::v4_net('b')}, 500);
  const std::string reverted = apply_cut({ThreeSiteLab::v4_net('c')});
  ASSERT_EQ(api("DELETE", "/v1/faults/" + reverted).status, 200);
  EXPECT_EQ(value_of(scrape(endpoint()), "injector_lifetime_expiries_total"), expiries) << "a revert is no expiry";
  ASSERT_TRUE(wait_for_no_faults(std::chrono::seconds(5)).gone) << "the 500 ms lifetime never ended";
  m = scrape(endpoint());
  EXPECT_EQ(value_of(m, "injector_lifetime_expiries_total"), expiries + 1) << m;
  EXPECT_EQ(value_of(m, "injector_lease_expiries_total"), leases) << m;
  expect_promtool_accepts(m, dir_);
}

TEST_F(Metrics, MetricsIsGetOnly) {
  const auto r = client::http_request(client::Endpoint::parse(endpoint()), "POST", "/metrics", "{}");
  EXPECT_EQ(r.status, 405) << r.body;
}

}  // namespace
}  // namespace injector::testing
