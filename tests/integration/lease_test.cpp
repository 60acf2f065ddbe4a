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
  std::unique_ptr<ChildProcess> holding_cli(const std::string& lease) const {
    auto cli = std::make_unique<ChildProcess>(
        std::vector<std::string>{INJECTOR_BIN, "fault", "apply", "--daemon", endpoint(), "cut", "--dev", "eth0", "--to",
                                 ThreeSiteLab::v4_net('b'), "--hold", "--lease", lease},
        dir_ + "/cli.log");
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

}  // namespace
}  // namespace injector::testing
