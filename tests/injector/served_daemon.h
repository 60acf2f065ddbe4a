#pragma once
// A daemon minus the kernel, for driving the CLI end to end: the real HTTP
// server and API router over a FakeTc, its io_context on a background thread.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/api_router.h"
#include "daemon/fault_engine.h"
#include "daemon/http/http_server.h"
#include "injector/cli.h"
#include "tests/daemon/fake_tc.h"
#include "tests/support/temp_dir.h"

namespace injector::testing {

struct CliResult {
  int rc = -1;
  std::string out, err;
};

inline CliResult run_cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  CliResult r;
  r.rc = injector::cli::run(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

class ServedDaemon : public ::testing::Test {
 protected:
  // Runs before the io thread exists: the place to set up the fake kernel.
  virtual void configure(FakeTc&) {}
  // What the server calls: the router; a test may put a gate in front.
  virtual injector::http::Response serve(const injector::http::Request& r) { return router.handle(r); }

  void SetUp() override {
    spdlog::set_level(spdlog::level::off);
    configure(tc);
    injector::http::ServerOptions options;
    options.socket_path = dir.file("d.sock");
    server.emplace(io, options, [this](const injector::http::Request& r) { return serve(r); });
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    boost::asio::post(io, [this] {
      server->stop();
      io.stop();
    });
    thread.join();
    server.reset();
    spdlog::set_level(spdlog::level::info);
  }
  std::string daemon() const { return "unix:" + dir.file("d.sock"); }
  // `injector fault ARGS... --daemon <this one>`
  CliResult fault(std::vector<std::string> args) const {
    args.insert(args.begin(), "fault");
    args.insert(args.end(), {"--daemon", daemon()});
    return run_cli(args);
  }

  TempDir dir{"clitest"};
  FakeTc tc;
  injector::FaultEngine engine{tc, nullptr, injector::EngineConfig{}};
  injector::ApiRouter router{engine, injector::ApiInfo{1 << 20}};
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard = boost::asio::make_work_guard(io);
  std::optional<injector::http::UnixHttpServer> server;
  std::thread thread;
};

// A served daemon whose expiry timer runs as injectord runs it: armed
// commits, ended lifetimes and lapsed leases are due every 10 ms.
class TickingDaemon : public ServedDaemon {
 protected:
  void SetUp() override {
    ServedDaemon::SetUp();
    boost::asio::post(io, [this] { tick(); });
  }
  void tick() {
    ticker.expires_after(std::chrono::milliseconds(10));
    ticker.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      engine.run_due();
      tick();
    });
  }
  boost::asio::steady_timer ticker{io};
};

}  // namespace injector::testing
