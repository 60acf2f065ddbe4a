// The sample payment system's figures (issue 13), on a lab of its own:
//   failover  RTO of the cut datacenter's units, the longest interruption of
//             the others and the one the heal causes, over N cuts with the
//             etcd leader outside and then inside the cut datacenter; RPO
//             (acknowledged payments lost) after each.
//   capacity  payments/s the sample sustains at p99 <= 50 ms.
// Run as root from the repository: build/bench/payments_bench [failover|capacity|all] [options]
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "bench/payments_figures.h"

int main(int argc, char** argv) {
  using namespace injector::bench;
  CLI::App app{"Failover and capacity figures of the lab's sample payment system"};
  BenchOptions o;
  std::string what = "all";
  app.add_option("what", what, "failover, capacity or all")->check(CLI::IsMember({"failover", "capacity", "all"}));
  app.add_option("--repo", o.repo, "the repository (scripts/lab)");
  app.add_option("--cuts", o.cuts, "cuts per leader placement")->check(CLI::Range(1, 50));
  app.add_option("--rate", o.rate, "payments/s during the cuts")->check(CLI::Range(1, 2000));
  app.add_option("--hold-ms", o.hold_ms, "how long each cut lasts")->check(CLI::Range(1000, 60000));
  app.add_option("--rates", o.rates, "offered rates for capacity, payments/s (comma-separated)")->delimiter(',');
  app.add_option("--seconds", o.seconds, "seconds per capacity step")->check(CLI::Range(2, 120));
  CLI11_PARSE(app, argc, argv);
  if (geteuid() != 0) {
    std::cerr << "payments_bench: needs root (it brings up a lab)\n";
    return 2;
  }
  try {
    injector::testing::PaymentsLab lab(o.repo, "pb" + std::to_string(getpid() % 100000));
    std::cerr << "lab up: " << lab.api_url() << "\n";
    if (what != "capacity") run_failover(lab, o);
    if (what != "failover") run_capacity(lab, o);
  } catch (const std::exception& e) {
    std::cerr << "payments_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
