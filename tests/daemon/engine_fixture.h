#pragma once
// Fixtures shared by the engine and API unit tests: a FakeTc for the kernel,
// logging off while a test runs.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "common/fault_spec.h"
#include "daemon/api_router.h"
#include "daemon/fault_engine.h"
#include "daemon/http/http_server.h"
#include "tests/daemon/fake_tc.h"

namespace injector::testing {

// A cut of 10.0.0.0/8 on eth0 that lasts 10 minutes.
inline FaultSpec cut_spec(Direction direction = Direction::egress) {
  using namespace std::chrono_literals;
  FaultSpec s;
  s.device = "eth0";
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.direction = direction;
  s.impairments.cut = CutImpairment{};
  s.lifetime.duration = 10min;
  return s;
}

// Engines on a clock the test moves by hand (`now`), over `tc`.
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }
  FaultEngine make(Journal* journal = nullptr) { return FaultEngine(tc, journal, {}, [this] { return now; }); }
  FakeTc tc;
  SteadyTime now{};
};

// The API router over an engine over `tc`; call() sends one request to serve().
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  http::Response call(const std::string& method, const std::string& target, const std::string& body = "") {
    http::Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    return serve(req);
  }
  // What answers call(): the router; a fixture may put a handler in front.
  virtual http::Response serve(const http::Request& req) { return router.handle(req); }

  FakeTc tc;
  EngineConfig config;
  FaultEngine engine{tc, nullptr, config};
  ApiRouter router{engine, ApiInfo{4096}};
};

}  // namespace injector::testing
