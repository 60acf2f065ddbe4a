// Leases through the real daemon and the real CLI: a held fault lives exactly
// as long as its holder, whatever way the holder ends.

#include <csignal>
#include <thread>

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

class Lease : public DaemonInLab {
 protected:
  int active() const { return static_cast<int>(api("GET", "/v1/faults").body["faults"].size()); }
  // Polls until no fault is left; returns when that happened.
  Clock::time_point wait_until_none(std::chrono::milliseconds timeout) const {
    const auto until = Clock::now() + timeout;
    while (active() > 0 && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return Clock::now();
  }
  // `injector fault apply ... --hold [--lease LEASE]` (no --lease when empty: the default).
  std::unique_ptr<ChildProcess> holding_cli(const std::string& lease) const {
    std::vector<std::string> argv{INJECTOR_BIN, "fault", "apply", "--daemon", endpoint(), "cut", "--dev", "eth0", "--to",
                                  ThreeSiteLab::v4_net('b'), "--hold"};
    if (!lease.empty()) argv.insert(argv.end(), {"--lease", lease});
    auto cli = std::make_unique<ChildProcess>(argv, dir_ + "/cli.log");
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (active() == 0 && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return cli;
  }
};

TEST_F(Lease, AnExpiredLeaseRevertsWithin100ms) {
  json body = cut_body({ThreeSiteLab::v4_net('b')});
  body["lifetime"] = {{"lease_ms", 500}};
  const auto sent = Clock::now();
  const auto a = api("POST", "/v1/faults", body.dump());
  const auto applied = Clock::now();
  ASSERT_EQ(a.status, 201) << a.body.dump();
  EXPECT_EQ(a.body["lease"].value("duration_ms", 0), 500);
  const auto gone = wait_until_none(std::chrono::seconds(3));
  const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(gone - applied) - std::chrono::milliseconds(500);
  // The lease counts from when the daemon took the request, a little before
  // the answer arrived here, so `late` slightly underestimates.
  std::printf("lease of 500 ms: fault gone %lld ms after the lease ran out\n", static_cast<long long>(late.count()));
  EXPECT_EQ(active(), 0);
  EXPECT_LT(late.count(), 100);
  EXPECT_GE(gone - sent, std::chrono::milliseconds(500)) << "not before the lease ran out";
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(Lease, RenewingKeepsTheFaultAlive) {
  json body = cut_body({ThreeSiteLab::v4_net('b')});
  body["lifetime"] = {{"lease_ms", 300}};
  const std::string id = api("POST", "/v1/faults", body.dump()).body.value("id", "");
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(api("POST", "/v1/faults/" + id + "/lease").status, 200);
  }
  EXPECT_EQ(active(), 1) << "a second of renewals kept a 300 ms lease alive";
  EXPECT_EQ(api("GET", "/v1/faults/" + id + "/lease").status, 405);
}

TEST_F(Lease, CtrlCOnAHoldingCliRevertsAtOnce) {
  auto cli = holding_cli("10s");
  ASSERT_EQ(active(), 1) << cli->log();
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 5));
  cli->signal(SIGINT);
  EXPECT_EQ(cli->wait_exit(std::chrono::seconds(3)), 0) << cli->log();
  EXPECT_EQ(active(), 0) << "reverted before the CLI exited";
  EXPECT_NE(cli->log().find("reverted f-"), std::string::npos) << cli->log();
  EXPECT_EQ(udp('a', 'b', false), 20);
}

TEST_F(Lease, AHoldingCliKilledOutrightLeavesNothingBehind) {
  auto cli = holding_cli("1s");
  ASSERT_EQ(active(), 1) << cli->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(active(), 1) << "renewed while the holder lives";
  cli->signal(SIGKILL);
  const auto killed = Clock::now();
  const auto gone = wait_until_none(std::chrono::seconds(3));
  EXPECT_EQ(active(), 0);
  EXPECT_LT(gone - killed, std::chrono::milliseconds(1100)) << "within one lease of the holder's death";
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// Without --lease, --hold takes a 10 s lease and renews it every 3.3 s. The
// holder is killed right after a renewal seen through the API (its lease
// left jumped up), so the lease runs out 10 s after a moment known within
// one 10 ms poll: the fault must still be there until then and gone within
// 300 ms after. A lease 20% longer or shorter (12 s, 8 s) fails.
TEST_F(Lease, AHoldingCliKilledOutrightKeepsItsDefaultTenSecondLease) {
  auto cli = holding_cli("");
  ASSERT_EQ(active(), 1) << cli->log();
  const std::string id = api("GET", "/v1/faults").body["faults"][0].value("id", "");
  auto lease_left = [&] { return api("GET", "/v1/faults/" + id).body["lease"].value("expires_in_ms", -1LL); };
  EXPECT_EQ(api("GET", "/v1/faults/" + id).body["lease"].value("duration_ms", 0), 10'000);
  // Wait for a renewal: the lease left goes up between two polls, so the
  // renewal came after the earlier poll was sent and before the later answered.
  long long before = lease_left();
  auto earlier_sent = Clock::now();
  bool renewed = false;
  for (const auto until = earlier_sent + std::chrono::seconds(5); !renewed && Clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto sent = Clock::now();
    const long long left = lease_left();
    renewed = left > before;
    if (!renewed) before = left, earlier_sent = sent;
  }
  const auto renewed_after = earlier_sent, renewed_before = Clock::now();
  cli->signal(SIGKILL);
  ASSERT_TRUE(renewed) << "no renewal seen in 5 s: " << cli->log();
  ASSERT_TRUE(cli->wait_exit(std::chrono::seconds(3)).has_value());
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 5)) << "the holder's death alone reverts nothing";
  const Disappearance d = wait_for_no_faults(std::chrono::seconds(13));
  ASSERT_TRUE(d.gone) << "still there 13 s after the holder died";
  print_expiry("default lease", d, renewed_before, std::chrono::milliseconds(10'000));
  EXPECT_GE(d.first_gone - renewed_after, std::chrono::milliseconds(10'000)) << "gone before the lease ran out";
  EXPECT_LT(d.last_seen - renewed_before, std::chrono::milliseconds(10'300)) << "still there 300 ms after it ran out";
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

}  // namespace
}  // namespace injector::testing
