// The HTTP probe against real servers on loopback: each "fail" or "unknown"
// beside an "ok" from the same server in the same test, so a probe that
// always fails (or never answers) cannot pass.

#include <gtest/gtest.h>

#include <httplib.h>

#include <memory>
#include <thread>

#include "injector/drill/probes.h"
#include "tests/injector/drill/probe_test_util.h"
#include "tests/support/loopback_http.h"
#include "tests/support/silent_listener.h"

namespace {

using namespace injector::drill;
using namespace injector::drill::testing;
using std::chrono::milliseconds;

// Slow enough that a max_latency of kMaxLatency cannot be met by chance,
// fast enough that a loaded machine answers /health well within it.
constexpr milliseconds kSlow(600);
constexpr milliseconds kMaxLatency(300);

class HttpProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& s = http_->server();
    s.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\": \"ok\"}", "application/json");
    });
    s.Get("/down", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("down", "text/plain");
    });
    s.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(kSlow);
      res.set_content("ok", "text/plain");
    });
    // What the probe sent, so the method, headers, query and body are checked.
    s.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + " x=" + req.get_param_value("x") + " h=" + req.get_header_value("X-Probe") +
                          " body=" + req.body,
                      "text/plain");
    });
    http_->start();
  }

  ProbeResult probe(const std::string& path, milliseconds timeout = milliseconds(2000)) {
    return run_probe_once(http_probe(http_->url() + path, timeout));
  }

  std::unique_ptr<injector::testing::LoopbackHttp> http_ = std::make_unique<injector::testing::LoopbackHttp>();
};

TEST_F(HttpProbeTest, AnAnswerInRangeIsOkWithItsLatency) {
  auto p = http_probe(http_->url() + "/health");
  p.name = "checkout";
  http_of(p).body_match = "\"ok\"";
  http_of(p).max_latency = kMaxLatency;
  const auto before = unix_now_us();
  const ProbeResult r = run_probe_once(p);
  EXPECT_EQ(r.observed, Observed::kOk) << r.detail;
  EXPECT_EQ(r.probe, "checkout");
  EXPECT_GE(r.start_us, before);
  EXPECT_GE(r.end_us, r.start_us);
  ASSERT_TRUE(r.value.has_value());
  EXPECT_GE(*r.value, 0.0);
  EXPECT_LE(*r.value, static_cast<double>(r.end_us - r.start_us) / 1e6);
}

TEST_F(HttpProbeTest, AStatusOutsideTheRangeFails) {
  EXPECT_EQ(probe("/health").observed, Observed::kOk);
  const ProbeResult r = probe("/down");
  EXPECT_EQ(r.observed, Observed::kFail);
  EXPECT_NE(r.detail.find("503"), std::string::npos) << r.detail;

  auto p = http_probe(http_->url() + "/down");
  http_of(p).call.status = {500, 503};  // a range that expects it
  EXPECT_EQ(run_probe_once(p).observed, Observed::kOk);
  http_of(p).call.status = {503, 503};
  EXPECT_EQ(run_probe_once(p).observed, Observed::kOk);
  http_of(p).call.status = {504, 599};
  EXPECT_EQ(run_probe_once(p).observed, Observed::kFail);
}

TEST_F(HttpProbeTest, ABodyThatDoesNotMatchFails) {
  auto p = http_probe(http_->url() + "/health");
  http_of(p).body_match = "\"status\":\\s*\"ok\"";
  EXPECT_EQ(run_probe_once(p).observed, Observed::kOk);
  http_of(p).body_match = "healthy";
  const ProbeResult r = run_probe_once(p);
  EXPECT_EQ(r.observed, Observed::kFail);
  EXPECT_NE(r.detail.find("healthy"), std::string::npos) << r.detail;
}

TEST_F(HttpProbeTest, AnAnswerSlowerThanMaxLatencyFails) {
  auto fast = http_probe(http_->url() + "/health");
  http_of(fast).max_latency = kMaxLatency;
  EXPECT_EQ(run_probe_once(fast).observed, Observed::kOk);

  auto slow = http_probe(http_->url() + "/slow", milliseconds(5000));
  http_of(slow).max_latency = kMaxLatency;
  const ProbeResult r = run_probe_once(slow);
  EXPECT_EQ(r.observed, Observed::kFail) << r.detail;
  ASSERT_TRUE(r.value.has_value());
  EXPECT_GE(*r.value, 0.6);
  http_of(slow).max_latency.reset();  // the same answer, no bound: ok
  EXPECT_EQ(run_probe_once(slow).observed, Observed::kOk);
}

TEST_F(HttpProbeTest, APortWithNothingListeningFailsAsAnObservation) {
  const std::string url = http_->url() + "/health";
  EXPECT_EQ(run_probe_once(http_probe(url)).observed, Observed::kOk);
  http_.reset();  // the server is gone: connections to its port are refused
  const ProbeResult r = run_probe_once(http_probe(url));
  EXPECT_EQ(r.observed, Observed::kFail) << r.detail;
  EXPECT_NE(r.detail.find("unreachable"), std::string::npos) << r.detail;
  EXPECT_LT(took_ms(r), 1000) << "a refusal is immediate, not a timeout";
}

TEST_F(HttpProbeTest, NoAnswerWithinTheTimeoutIsUnknown) {
  EXPECT_EQ(probe("/health", milliseconds(300)).observed, Observed::kOk);
  const ProbeResult slow = probe("/slow", milliseconds(300));
  EXPECT_EQ(slow.observed, Observed::kUnknown) << slow.detail;
  EXPECT_GE(took_ms(slow), 299);

  injector::testing::SilentListener silent;  // accepts nothing, answers nothing
  const ProbeResult hung = run_probe_once(http_probe(silent.url() + "/health", milliseconds(300)));
  EXPECT_EQ(hung.observed, Observed::kUnknown) << hung.detail;
  EXPECT_GE(took_ms(hung), 299);
  EXPECT_LT(took_ms(hung), 3000);
}

TEST_F(HttpProbeTest, SendsTheMethodHeadersQueryAndBody) {
  auto p = http_probe(http_->url() + "/echo?x=1");
  http_of(p).call.method = "POST";
  http_of(p).call.headers = {{"X-Probe", "yes"}};
  http_of(p).call.body = "ping";
  http_of(p).body_match = "^POST x=1 h=yes body=ping$";
  const ProbeResult r = run_probe_once(p);
  EXPECT_EQ(r.observed, Observed::kOk) << r.detail;
  http_of(p).call.body = "pong";
  EXPECT_EQ(run_probe_once(p).observed, Observed::kFail);
}

TEST_F(HttpProbeTest, WhatTheProbeCannotCheckIsUnknown) {
  auto p = http_probe(http_->url() + "/health");
  http_of(p).body_match = "(";  // not a regex
  EXPECT_EQ(run_probe_once(p).observed, Observed::kUnknown);
  EXPECT_EQ(run_probe_once(http_probe("ftp://127.0.0.1/")).observed, Observed::kUnknown);
  EXPECT_EQ(run_probe_once(http_probe("http://")).observed, Observed::kUnknown);
}

}  // namespace
