// payrouter: the lab's stand-in for a global traffic manager (see README.md).
//   payrouter --listen ADDR:PORT --etcd URL[,URL...] --service DC=URL [--service DC=URL ...] [--deadline-ms 300]

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "config.h"
#include "etcd_client.h"
#include "router.h"
#include "stop_signals.h"
#include "service_http.h"
#include "unit_map.h"

using namespace payments;

namespace {

PayConfig load_config(const std::vector<std::string>& endpoints, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  EtcdClient etcd(endpoints, deadline * static_cast<int>(endpoints.size()));
  for (;;) {
    try {
      RangeResult r = etcd.range(kConfigKey);
      if (!r.kvs.empty()) return config_from_json(nlohmann::json::parse(r.kvs.front().value));
    } catch (const EtcdError&) {
    }
    if (std::chrono::steady_clock::now() > until) throw std::runtime_error(kConfigKey + " not readable: is the ledger seeded?");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

int main(int argc, char** argv) {
  payments::block_stop_signals();

  std::string listen_text, etcd_list;
  std::vector<std::string> service_flags;
  int64_t deadline_ms = 300;
  CLI::App app{"payrouter: forwards each payment once to the owner of the payer's unit"};
  app.add_option("--listen", listen_text, "ADDR:PORT")->required();
  app.add_option("--etcd", etcd_list, "etcd client URLs, comma-separated")->required();
  app.add_option("--service", service_flags, "DC=http://HOST:PORT, once per datacenter")->required();
  app.add_option("--deadline-ms", deadline_ms, "etcd and connect deadline")->check(CLI::Range(10, 60000));
  std::pair<std::string, int> listen;
  RouterOptions opt;
  std::vector<std::string> endpoints;
  try {
    app.parse(argc, argv);
    listen = parse_listen(listen_text);
    endpoints = parse_endpoints(etcd_list);
    for (const auto& s : service_flags) opt.services.insert(parse_service(s));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "payrouter: " << e.what() << "\n";
    return 2;
  }
  opt.deadline = std::chrono::milliseconds(deadline_ms);
  opt.forward_timeout = 8 * opt.deadline;
  PayConfig config;
  try {
    config = load_config(endpoints, opt.deadline);
  } catch (const std::exception& e) {
    std::cerr << "payrouter: " << e.what() << "\n";
    return 1;
  }
  UnitMap map(endpoints, opt.deadline, config.units);
  map.start();
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);  // httplib closes a connection after 5 requests by default
  install_router_routes(server, map, config, opt);
  if (!server.bind_to_port(listen.first, listen.second)) {
    std::cerr << "payrouter: cannot listen on " << listen_text << "\n";
    return 1;
  }
  payments::stop_on_signals(server);
  std::cerr << "payrouter: serving on http://" << listen_text << std::endl;
  server.listen_after_bind();
  map.stop();
  return 0;
}
