// `fault apply --hold` when the fault goes away under it: the holder exits 11
// and says why, instead of renewing into the void (issue 15: a holder was
// still sleeping in its loop 78 minutes after its daemon stopped).

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "injector/http_client.h"
#include "tests/injector/served_daemon.h"

namespace {

using injector::testing::CliResult;
using injector::testing::run_cli;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Hold : public injector::testing::TickingDaemon {
 protected:
  json api(const std::string& method, const std::string& target) const {
    const auto r = injector::client::http_request(injector::client::Endpoint::parse(daemon()), method, target, "");
    return json::parse(r.body, nullptr, false);
  }
  // Starts a holder with a 300 ms lease and waits until its fault is listed.
  std::future<CliResult> holder() {
    auto f = std::async(std::launch::async, [d = daemon()] {
      return run_cli({"fault", "apply", "--daemon", d, "cut", "--dev", "eth0", "--peer", "10.9.0.0/16", "--hold",
                      "--lease", "300ms", "--for", "10m"});
    });
    const auto until = Clock::now() + 5s;
    while (api("GET", "/v1/faults")["faults"].empty() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    return f;
  }
};

TEST_F(Hold, FaultRevertedBySomeoneElseExits11SayingSo) {
  auto held = holder();
  std::this_thread::sleep_for(400ms);
  ASSERT_EQ(held.wait_for(0s), std::future_status::timeout) << "renewed past one lease while the fault lives";
  ASSERT_EQ(api("DELETE", "/v1/faults")["reverted"].size(), 1u);
  ASSERT_EQ(held.wait_for(2s), std::future_status::ready) << "still holding a fault that is gone";
  const CliResult r = held.get();
  EXPECT_EQ(r.rc, 11) << r.err;
  EXPECT_NE(r.err.find("is lost"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("reverted by someone else"), std::string::npos) << r.err;
}

// The daemon goes away (its socket with it): after one lease without a
// renewal the daemon, were it alive, has reverted the fault; the holder stops
// within one renewal period (100 ms) of that, not 78 minutes later.
TEST_F(Hold, NoRenewalForAWholeLeaseExits11SayingWhy) {
  auto held = holder();
  std::this_thread::sleep_for(200ms);
  const auto cut_off = Clock::now();
  ASSERT_EQ(::unlink(dir.file("d.sock").c_str()), 0);
  ASSERT_EQ(held.wait_for(3s), std::future_status::ready) << "still holding 3 s after the daemon went away";
  const auto waited = Clock::now() - cut_off;
  const CliResult r = held.get();
  EXPECT_EQ(r.rc, 11) << r.err;
  EXPECT_NE(r.err.find("no renewal for"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("300 ms lease"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("retrying"), std::string::npos) << "failed renewals are reported as they happen: " << r.err;
  EXPECT_LT(waited, 1s) << "a 300 ms lease, renewed every 100 ms";
  EXPECT_GE(waited, 200ms) << "not before the lease could have run out";
}

}  // namespace
