#pragma once
// A ThreeSiteLab with one injectord running in site a, and the calls every
// integration test makes: the API, a tc snapshot of a's eth0, real traffic.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>
#include <nlohmann/json.hpp>

#include "injector/http_client.h"
#include "support/listener.h"
#include "support/negative_check.h"
#include "support/netns.h"
#include "support/probes.h"
#include "support/process.h"

namespace injector::testing {

// A cut of the given networks from site a's eth0, as an API request body.
inline nlohmann::json cut_body(const std::vector<std::string>& to, int lifetime_ms = 0) {
  nlohmann::json j = {{"device", "eth0"}, {"match", {{"to", to}}}, {"impairments", {{"cut", nlohmann::json::object()}}}};
  if (lifetime_ms) j["lifetime"] = {{"duration_ms", lifetime_ms}};
  return j;
}

class DaemonInLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces and traffic control";
    lab_ = std::make_unique<ThreeSiteLab>();
    char tmpl[] = "/tmp/injt-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    baseline_ = lab_->tc_snapshot('a');
    start_daemon();
  }

  void TearDown() override {
    daemon_.reset();
    lab_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void start_daemon(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{"ip", "netns", "exec", lab_->ns('a'), INJECTORD_BIN,
                                  "--socket", socket_path(), "--state-dir", dir_ + "/state"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::filesystem::remove(socket_path());
    daemon_ = std::make_unique<ChildProcess>(argv, dir_ + "/injectord.log");
    ASSERT_TRUE(wait_for_path(socket_path(), std::chrono::seconds(10))) << daemon_->log();
  }

  std::string socket_path() const { return dir_ + "/injectord.sock"; }
  std::string endpoint() const { return "unix:" + socket_path(); }

  struct Answer {
    int status = 0;
    nlohmann::json body;
  };
  Answer api(const std::string& method, const std::string& target, const std::string& body = {}) const {
    auto r = client::http_request(client::Endpoint::parse(endpoint()), method, target, body);
    return {r.status, nlohmann::json::parse(r.body, nullptr, false)};
  }

  std::string apply_cut(const std::vector<std::string>& to, int lifetime_ms = 0) const {
    auto a = api("POST", "/v1/faults", cut_body(to, lifetime_ms).dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    return a.body.value("id", "");
  }

  using Clock = std::chrono::steady_clock;
  // When the fault list emptied, polled every 10 ms. The fault went after
  // `last_seen` (when the last request that still listed it was sent) and
  // before `first_gone` (when the first answer listing none arrived), so
  // polling and API latency can only shrink `last_seen - start` and grow
  // `first_gone - start`: neither makes a right expiry look early or late.
  struct Disappearance {
    Clock::time_point last_seen{}, first_gone{};
    bool gone = false;
  };
  Disappearance wait_for_no_faults(std::chrono::milliseconds timeout) const {
    Disappearance d;
    const auto until = Clock::now() + timeout;
    for (;;) {
      const auto asked = Clock::now();
      if (api("GET", "/v1/faults").body["faults"].empty()) {
        d.first_gone = Clock::now();
        d.gone = true;
        return d;
      }
      d.last_seen = asked;
      if (asked >= until) return d;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Prints where the fault went relative to `expected` (from `start_after`,
  // when the clock started at the latest): between "after" and "before" ms.
  static void print_expiry(const char* what, const Disappearance& d, Clock::time_point start_after,
                           std::chrono::milliseconds expected) {
    using std::chrono::duration_cast;
    using ms = std::chrono::milliseconds;
    std::printf("[ figure ] %s: gone %lld to %lld ms after its %lld ms ran out\n", what,
                static_cast<long long>(duration_cast<ms>(d.last_seen - start_after - expected).count()),
                static_cast<long long>(duration_cast<ms>(d.first_gone - start_after - expected).count()),
                static_cast<long long>(expected.count()));
  }

  int udp(char from, char to, bool v6, int count = 20) const {
    return udp_echo_delivered(lab_->ns(from), lab_->ns(to), v6 ? ThreeSiteLab::v6(to) : ThreeSiteLab::v4(to), count);
  }
  bool tcp(char from, char to, bool v6) const {
    return tcp_connects(lab_->ns(from), lab_->ns(to), v6 ? ThreeSiteLab::v6(to) : ThreeSiteLab::v4(to));
  }
  // UDP from `from` to `to` delivers nothing, beside its positive control:
  // the same probe from `from` to ctl_to (ctl_v6) delivers every echo.
  ::testing::AssertionResult udp_none(char from, char to, bool v6, char ctl_to, bool ctl_v6, int count = 20) const {
    return nothing_delivered([&] { return udp(from, to, v6, count); }, [&] { return udp(from, ctl_to, ctl_v6, count); },
                             count);
  }
  // The same for a TCP handshake.
  ::testing::AssertionResult tcp_none(char from, char to, bool v6, char ctl_to, bool ctl_v6) const {
    return nothing_delivered([&] { return tcp(from, to, v6); }, [&] { return tcp(from, ctl_to, ctl_v6); }, 1);
  }
  // And for `count` pings from site `from` to v4 addresses to and ctl_to.
  ::testing::AssertionResult ping_none(char from, const std::string& to, const std::string& ctl_to, int count) const {
    return nothing_delivered([&] { return ping_received(lab_->ns(from), to, count); },
                             [&] { return ping_received(lab_->ns(from), ctl_to, count); }, count);
  }

  std::unique_ptr<ThreeSiteLab> lab_;
  std::unique_ptr<ChildProcess> daemon_;
  std::string dir_;
  std::string baseline_;  // a's eth0 before the daemon touched anything
};

}  // namespace injector::testing
