// injectord: the privileged daemon that applies network faults on one host.
// One thread runs everything (API, lifetimes, signals) on one io_context.

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "common/exclusion.h"
#include "common/duration.h"
#include "common/version.h"
#include "daemon/api_router.h"
#include "daemon/config_file.h"
#include "daemon/delayline/kernel_queues.h"
#include "daemon/metrics.h"
#include "daemon/nft/queue_rules.h"
#include "daemon/http/tls_server.h"
#include "daemon/security/api_gate.h"
#include "daemon/security/privileges.h"
#include "daemon/tc/classifier_switch.h"
#include "daemon/tc/kernel_tc.h"
#include "common/strings.h"

namespace {

struct Options {
  std::string socket = "/run/injector/injectord.sock";
  std::string state_dir = "/var/lib/injectord";
  std::string default_lifetime = "10m";
  std::string max_lifetime = "24h";
  std::string log_level = "info";
  std::string allow_group;
  std::string audit_log;
  std::string audit_format = "text";
  std::string listen;                   // --listen ADDR:PORT: the API over mutual TLS too
  injector::http::TlsFiles tls;         // --tls-cert, --tls-key, --client-ca
  std::vector<std::string> management;  // control-path exclusions (common/exclusion.h)
  // What an unauthenticated peer can make us hold (daemon/http/connection_caps.h), per listener.
  std::string handshake_timeout = "3s";
  std::size_t max_pending = injector::http::ConnectionLimits{}.max_pending;
  std::size_t max_pending_per_source = injector::http::ConnectionLimits{}.max_pending_per_source;
  std::size_t max_connections = injector::http::ConnectionLimits{}.max_authenticated;
  bool cleanup = false;
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

// Who may call, and where calls are recorded. Resolved before the kernel is
// touched, so a typo in a flag changes nothing.
struct Access {
  std::optional<injector::security::AllowedGroup> group;
  std::unique_ptr<injector::security::AuditLog> audit;
  std::optional<injector::http::TlsListenConfig> tls;  // the lead passes tls->listen to control-path exclusion
  std::unique_ptr<boost::asio::ssl::context> tls_context;
  injector::http::ConnectionLimits limits;
};

Access open_access(const Options& opt) {
  Access access;
  access.limits = {opt.max_pending, opt.max_pending_per_source, opt.max_connections, {}};
  try {
    access.limits.handshake_timeout = injector::parse_duration(opt.handshake_timeout);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--handshake-timeout: ") + e.what());
  }
  access.tls = injector::http::tls_listen_config(opt.listen, opt.tls);
  if (access.tls) access.tls_context = injector::http::make_server_context(access.tls->files);
  if (!opt.allow_group.empty()) access.group = injector::security::resolve_group(opt.allow_group);
  if (!opt.audit_log.empty()) {
    access.audit = std::make_unique<injector::security::AuditLog>(
        opt.audit_log, injector::security::parse_audit_format(opt.audit_format));
  }
  return access;
}

int serve(const Options& opt, const Access& access, injector::FaultEngine& engine,
          const std::optional<nlohmann::json>& saved, injector::delayline::KernelQueues* queues,
          const std::string& classifier_switch) {
  boost::asio::io_context io;
  // Before the socket exists: whoever sees it may signal us at once, and a
  // signal that came before the handler would kill us without a revert.
  // Signals until async_wait below are queued, not lost.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  ExpiryTimer expiry(io, engine);
  injector::http::ServerOptions server_options{opt.socket};
  std::optional<gid_t> gid;
  if (access.group) gid = access.group->gid;
  server_options.group = gid;
  server_options.connection_limits = access.limits;
  server_options.stats = std::make_shared<injector::http::ConnectionStats>();
  injector::metrics::ListenerStats listener_stats{{"unix", server_options.stats}};
  injector::http::TlsServerOptions tls_options;
  if (access.tls) {
    tls_options = {access.tls->listen, server_options.max_body_bytes, server_options.max_header_bytes, access.limits,
                   std::make_shared<injector::http::ConnectionStats>()};
    listener_stats.emplace_back("tls", tls_options.stats);
  }
  injector::ApiRouter router(engine, {server_options.max_body_bytes, classifier_switch});
  const injector::security::ApiGate gate(
      injector::metrics::serve_metrics(engine, [&](const injector::http::Request& req) { return router.handle(req); },
                                       listener_stats),
      injector::security::root_or_group(gid), access.audit.get());
  const auto handler = [&](const injector::http::Request& req) {
    auto response = gate.handle(req);
    spdlog::info("{} {} {} -> {}", injector::printable(req.peer.identity(), injector::limits::kMaxLoggedTarget),
                 injector::printable(req.method), injector::printable(req.target, injector::limits::kMaxLoggedTarget),
                 response.status);
    expiry.rearm();
    return response;
  };
  injector::http::UnixHttpServer server(io, server_options, handler);
  std::optional<injector::http::TlsHttpServer> tls_server;
  if (access.tls) {
    tls_server.emplace(io, tls_options, *access.tls_context, handler,
                       [&](const injector::http::TcpAddress& remote, const std::string& reason) {
                         gate.refuse_handshake(remote, reason);
                       });
    spdlog::info("serving the API over mutual TLS on {} (client CA {})", tls_server->local_address().to_string(),
                 access.tls->files.client_ca);
  }
  // The sockets are bound and chowned: the last step that needed more than
  // serving does. Capabilities are per thread: the delay line's drops too.
  if (queues) queues->run_on_worker([] { injector::security::drop_thread_privileges(); });
  spdlog::info("{}", injector::security::drop_privileges());
  if (saved) engine.resume(*saved);

  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: reverting every fault and exiting", signo);
    try {
      engine.revert_all();
    } catch (const std::exception& e) {
      spdlog::error("revert on exit failed: {}", e.what());
    }
    server.stop();
    if (tls_server) tls_server->stop();
    io.stop();
  });
  spdlog::info("injectord {} listening on {} (state in {}, allowed: root{})", injector::kVersion, opt.socket,
               opt.state_dir, access.group ? " and group " + access.group->name : "");
  io.run();
  return engine.list().empty() ? 0 : 1;
}

int run(const Options& opt) {
  const Access access = open_access(opt);
  injector::EngineConfig config{injector::parse_duration(opt.default_lifetime), injector::parse_duration(opt.max_lifetime),
                                injector::tc::probe_capabilities(), {}};
  for (const auto& [feature, ok] : config.capabilities->features) {
    spdlog::info("kernel feature {}: {}", feature, ok ? "available" : "MISSING");
  }
  if (config.default_lifetime > config.max_lifetime) throw std::invalid_argument("--default-lifetime exceeds --max-lifetime");
  for (const auto& entry : opt.management) config.control_exclusions.push_back(injector::parse_exclusion(entry));
  // The API's own connections: a fault must never cut the operator off from
  // the daemon that would revert it (any peer, our listen port, both ways).
  if (access.tls) config.control_exclusions.push_back(injector::listen_exclusion(access.tls->listen.port));
  injector::tc::KernelTc kernel;
  injector::Journal journal(opt.state_dir);
  injector::FaultEngine engine(kernel, &journal, config);
  std::optional<injector::delayline::KernelQueues> queues;
  if (config.capabilities->has("nfnetlink_queue") && config.capabilities->has("nft_compat")) {
    engine.attach_delay_line(&queues.emplace());
  }
  const auto saved = journal.load();  // before cleanup starts a new one
  engine.cleanup_leftovers();
  injector::tc::ClassifierSwitchHold hold;
  std::string hold_state = "held";
  try {
    hold = injector::tc::ClassifierSwitchHold::acquire();
    spdlog::info("holding the kernel's software tc classifier switch on (private namespace, freed at exit)");
  } catch (const std::exception& e) {
    hold_state = std::string("not held: ") + e.what();
    spdlog::warn("classifier switch {}: the first fault on a host with no tc filter will be slower", hold_state);
  }
  return serve(opt, access, engine, saved, queues ? &*queues : nullptr, hold_state);
}

// Our nf_tables tables, where the kernel has nf_tables at all: without
// nft_compat no delay line ever ran here, so a failure to list is no leftover.
void remove_nft_tables(bool delay_line_possible) {
  try {
    if (!injector::nft::have_our_tables()) return;
  } catch (const std::exception& e) {
    if (delay_line_possible) throw;
    spdlog::info("no nf_tables to clean ({})", e.what());
    return;
  }
  spdlog::warn("removing the delay line's nf_tables tables '{}'", injector::nft::kTableName);
  injector::nft::remove_our_tables();
}

// `injectord --cleanup`: what a crashed or killed run left (HTB roots fa17:,
// ifbs ifbfa17-*, nf_tables tables of ours), its journal and its stale socket
// file go; nothing is served.
int cleanup(const Options& opt) {
  if (injector::http::socket_in_use(opt.socket)) {
    spdlog::error("a daemon is serving on {}: stop it (SIGTERM reverts its faults) instead of cleaning up under it",
                  opt.socket);
    return 1;
  }
  const auto caps = injector::tc::probe_capabilities();
  spdlog::info("{}", injector::security::drop_privileges());
  injector::tc::KernelTc kernel;
  // No journal: the engine would write a fresh one, and --cleanup removes it.
  injector::FaultEngine engine(kernel, nullptr, injector::EngineConfig{});
  const auto devices = engine.cleanup_leftovers();
  remove_nft_tables(caps.has("nft_compat"));
  injector::Journal(opt.state_dir).clear();
  // The killed daemon's socket file: nobody answers on it (checked above).
  struct stat st {};
  if (::lstat(opt.socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(opt.socket.c_str());
  spdlog::info("cleanup done: traffic control removed from {} device(s), journal in {} cleared", devices.size(),
               opt.state_dir);
  return 0;
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
  app.add_option("--allow-group", opt.allow_group,
                 "Group whose members may use the API besides root; the socket is group-owned by it");
  app.add_option("--audit-log", opt.audit_log, "Append one line per API call (who, what, result) to this file");
  app.add_option("--audit-format", opt.audit_format, "text or json (JSON lines)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--listen", opt.listen,
                 "Also serve the API over TCP with mutual TLS on ADDR:PORT (IPv4, or [IPv6]:PORT); "
                 "needs --tls-cert, --tls-key and --client-ca");
  app.add_option("--tls-cert", opt.tls.cert, "The TLS server's certificate chain (PEM), for --listen");
  app.add_option("--tls-key", opt.tls.key, "The TLS server's private key (PEM), for --listen");
  app.add_option("--client-ca", opt.tls.client_ca,
                 "CA certificate(s) (PEM); every client certificate they signed may use the whole API over --listen");
  app.add_option("--handshake-timeout", opt.handshake_timeout,
                 "Close a connection that has not completed the TLS handshake (Unix socket: sent its first request "
                 "head) this long after it was accepted")
      ->capture_default_str();
  app.add_option("--max-pending-connections", opt.max_pending,
                 "Most connections each listener holds before their handshake (Unix socket: first request head); "
                 "more are reset at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-pending-per-source", opt.max_pending_per_source,
                 "Most of those from one source (an IP address; on the Unix socket a uid)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-connections", opt.max_connections,
                 "Most connections each listener serves past the handshake; more are closed (Unix socket: answered 503)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--management", opt.management,
                 "Never fault traffic between this host and a management peer or port (repeatable): "
                 "tcp:22, udp:53, 10.0.0.0/8, tcp:22@10.0.0.0/8, tcp:22@[fd00::/64]; a fault opts out with "
                 "control_path include")
      ->check([](const std::string& entry) -> std::string {
        try {
          injector::parse_exclusion(entry);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      });
  app.add_flag("--cleanup", opt.cleanup,
               "Remove everything of ours from the host (traffic control, ifbs, nf_tables) and the journal, then exit")
      ->configurable(false);  // an action, not a setting: a unit's config file must not turn serving into cleaning
  app.set_version_flag("--version", std::string("injectord ") + injector::kVersion);
  injector::add_config_file(app);
  if (const auto code = injector::parse_command_line(app, argc, argv)) return *code;
  spdlog::set_level(spdlog::level::from_str(opt.log_level));
  try {
    return opt.cleanup ? cleanup(opt) : run(opt);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
