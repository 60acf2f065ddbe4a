// injectord: the privileged daemon that applies network faults on one host.
// One thread runs everything (API, lifetimes, signals) on one io_context.

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/duration.h"
#include "common/version.h"
#include "daemon/api_router.h"
#include "daemon/delayline/kernel_queues.h"
#include "daemon/tc/kernel_tc.h"

namespace {

struct Options {
  std::string socket = "/run/injector/injectord.sock";
  std::string state_dir = "/var/lib/injectord";
  std::string default_lifetime = "10m";
  std::string max_lifetime = "24h";
  std::string log_level = "info";
};

// Keeps one timer armed at the earliest fault deadline.
class ExpiryTimer {
 public:
  ExpiryTimer(boost::asio::io_context& io, injector::FaultEngine& engine) : timer_(io), engine_(engine) {}
  void rearm() {
    timer_.cancel();
    auto next = engine_.next_deadline();
    if (!next) return;
    timer_.expires_at(*next);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled by a newer rearm
      try {
        engine_.run_due();
      } catch (const std::exception& e) {
        spdlog::error("reverting an expired fault failed: {}", e.what());
      }
      rearm();
    });
  }

 private:
  boost::asio::steady_timer timer_;
  injector::FaultEngine& engine_;
};

int run(const Options& opt) {
  injector::EngineConfig config{injector::parse_duration(opt.default_lifetime), injector::parse_duration(opt.max_lifetime),
                                injector::tc::probe_capabilities()};
  for (const auto& [feature, ok] : config.capabilities->features) {
    spdlog::info("kernel feature {}: {}", feature, ok ? "available" : "MISSING");
  }
  if (config.default_lifetime > config.max_lifetime) throw std::invalid_argument("--default-lifetime exceeds --max-lifetime");
  injector::tc::KernelTc kernel;
  injector::Journal journal(opt.state_dir);
  injector::FaultEngine engine(kernel, &journal, config);
  std::optional<injector::delayline::KernelQueues> queues;
  if (config.capabilities->has("nfnetlink_queue") && config.capabilities->has("nft_compat")) {
    engine.attach_delay_line(&queues.emplace());
  }
  const auto saved = journal.load();  // before cleanup starts a new one
  engine.cleanup_leftovers();
  if (saved) engine.resume(*saved);

  boost::asio::io_context io;
  ExpiryTimer expiry(io, engine);
  injector::http::ServerOptions server_options{opt.socket};
  injector::ApiRouter router(engine, {server_options.max_body_bytes});
  injector::http::UnixHttpServer server(io, server_options, [&](const injector::http::Request& req) {
    auto response = router.handle(req);
    spdlog::info("uid {} {} {} -> {}", req.peer.uid, req.method, req.target, response.status);
    expiry.rearm();
    return response;
  });

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: reverting every fault and exiting", signo);
    try {
      engine.revert_all();
    } catch (const std::exception& e) {
      spdlog::error("revert on exit failed: {}", e.what());
    }
    server.stop();
    io.stop();
  });
  spdlog::info("injectord {} listening on {} (state in {})", injector::kVersion, opt.socket, opt.state_dir);
  io.run();
  return engine.list().empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"injectord: applies network faults to this host's traffic control over netlink"};
  Options opt;
  app.add_option("--socket", opt.socket, "Unix socket to serve the API on (mode 0660)")->capture_default_str();
  app.add_option("--state-dir", opt.state_dir, "Directory for the journal")->capture_default_str();
  app.add_option("--default-lifetime", opt.default_lifetime, "Lifetime of a fault that names none")->capture_default_str();
  app.add_option("--max-lifetime", opt.max_lifetime, "Cap on every fault's lifetime")->capture_default_str();
  app.add_option("--log-level", opt.log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.set_version_flag("--version", std::string("injectord ") + injector::kVersion);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(opt.log_level));
  try {
    return run(opt);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
