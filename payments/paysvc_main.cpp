// paysvc: the sample payment service (see README.md).
//   paysvc seed  --etcd URL[,URL...] [--accounts N] [--balance-minor N] ...
//   paysvc serve --dc DC --listen ADDR:PORT --etcd URL[,URL...] [--lease-ttl-s 1] [--deadline-ms 300]
//                [--commit-rounds 2] [--batch-wait-ms 5]

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "config.h"
#include "etcd_client.h"
#include "ledger.h"
#include "ownership.h"
#include "seed.h"
#include "service_http.h"
#include "stop_signals.h"

using namespace payments;

namespace {

struct Flags {
  std::string etcd;
  int64_t accounts = 10000, balance_minor = 100000;
  int units = 12;
  std::string datacenters = "hz,sh,sz", takeover = "hz=sh,sh=sz,sz=hz", currency = "CNY";
  std::string dc, listen;
  int64_t lease_ttl_s = 1, deadline_ms = 300;
  CommitOptions commit;
};

int run_seed(const Flags& f) {
  PayConfig config;
  try {
    config = make_config(f.units, parse_datacenters(f.datacenters), parse_takeover(f.takeover), f.currency,
                         f.accounts, f.balance_minor);
  } catch (const std::invalid_argument& e) {
    std::cerr << "paysvc seed: " << e.what() << "\n";
    return 2;
  }
  // Seeding is not latency-critical: a longer deadline than serve's.
  EtcdClient etcd(parse_endpoints(f.etcd), std::chrono::milliseconds(std::max<int64_t>(f.deadline_ms, 5000)));
  auto start = std::chrono::steady_clock::now();
  try {
    seed_ledger(etcd, config);
  } catch (const std::exception& e) {
    std::cerr << "paysvc seed: " << e.what() << "\n";
    return 1;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::cerr << "paysvc seed: " << config.accounts << " accounts, total " << config.total_minor << " "
            << config.currency << " minor units, in " << ms.count() << " ms\n";
  return 0;
}

PayConfig load_config(EtcdClient& etcd) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    try {
      RangeResult r = etcd.range(kConfigKey);
      if (!r.kvs.empty()) return config_from_json(nlohmann::json::parse(r.kvs.front().value));
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error(kConfigKey + " is missing: run paysvc seed");
    } catch (const EtcdError& e) {
      if (std::chrono::steady_clock::now() > until) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

int run_serve(const Flags& f) {
  std::pair<std::string, int> listen;
  try {
    listen = parse_listen(f.listen);
  } catch (const std::invalid_argument& e) {
    std::cerr << "paysvc serve: --listen " << f.listen << ": " << e.what() << "\n";
    return 2;
  }
  EtcdClient etcd(parse_endpoints(f.etcd), std::chrono::milliseconds(f.deadline_ms));
  PayConfig config;
  try {
    config = load_config(etcd);
  } catch (const std::exception& e) {
    std::cerr << "paysvc serve: " << e.what() << "\n";
    return 1;
  }
  if (std::find(config.datacenters.begin(), config.datacenters.end(), f.dc) == config.datacenters.end()) {
    std::cerr << "paysvc serve: --dc " << f.dc << " is not one of the ledger's datacenters\n";
    return 1;
  }
  Ownership ownership(etcd, config, f.dc, f.lease_ttl_s);
  Ledger ledger(etcd, config, f.dc, ownership, f.commit);
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);  // httplib closes a connection after 5 requests by default
  install_service_routes(server, ledger, ownership, config, f.dc);
  if (!server.bind_to_port(listen.first, listen.second)) {
    std::cerr << "paysvc serve: cannot listen on " << f.listen << "\n";
    return 1;
  }
  payments::stop_on_signals(server);
  // Before the ownership threads start logging, so the line stays whole.
  std::cerr << "paysvc: serving dc=" << f.dc << " on http://" << f.listen << std::endl;
  ownership.start();
  server.listen_after_bind();
  ownership.stop();
  spdlog::info("paysvc: dc={} stopped", f.dc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  payments::block_stop_signals();

  Flags f;
  CLI::App app{"paysvc: the sample payment service on etcd"};
  app.require_subcommand(1);
  auto* seed = app.add_subcommand("seed", "write /pay/config and every account (refuses if seeded)");
  seed->add_option("--etcd", f.etcd, "etcd client URLs, comma-separated")->required();
  seed->add_option("--accounts", f.accounts, "number of accounts")->check(CLI::Range(2, 99999999));
  seed->add_option("--balance-minor", f.balance_minor, "each account's balance")->check(CLI::Range(0LL, 1000000000000LL));
  seed->add_option("--units", f.units, "number of units")->check(CLI::Range(1, 99));
  seed->add_option("--datacenters", f.datacenters, "datacenters, comma-separated");
  seed->add_option("--takeover", f.takeover, "DC=DC pairs: who takes over whose units");
  seed->add_option("--currency", f.currency, "3-letter currency code");
  seed->add_option("--deadline-ms", f.deadline_ms, "etcd request deadline (at least 5000 for seeding)");
  auto* serve = app.add_subcommand("serve", "serve the payment API for one datacenter");
  serve->add_option("--dc", f.dc, "this service's datacenter")->required();
  serve->add_option("--listen", f.listen, "ADDR:PORT")->required();
  serve->add_option("--etcd", f.etcd, "etcd client URLs, comma-separated")->required();
  serve->add_option("--lease-ttl-s", f.lease_ttl_s, "ownership lease TTL")->check(CLI::Range(1, 60));
  serve->add_option("--deadline-ms", f.deadline_ms, "deadline of every etcd request")->check(CLI::Range(10, 60000));
  serve->add_option("--commit-rounds", f.commit.rounds, "batches of payments in flight to etcd at once")
      ->check(CLI::Range(1, 16));
  serve->add_option("--batch-wait-ms", f.commit.batch_wait_ms,
                    "how long a batch waits for company before going to etcd (0: never)")
      ->check(CLI::Range(0, 100));
  try {
    app.parse(argc, argv);
    parse_endpoints(f.etcd);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "paysvc: --etcd: " << e.what() << "\n";
    return 2;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  return seed->parsed() ? run_seed(f) : run_serve(f);
}
