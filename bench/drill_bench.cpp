// `injector run`'s figures (issue 14), each on a lab of its own, through the
// real binary and read from its report.json:
//   abort      a 3 x 16 lab, hz isolated; a probe guard on a loopback HTTP
//              server that the bench stops mid-hold: the guard's breach ->
//              every daemon's confirmed revert (goal <= 200 ms).
//   detection  the sample payment system at 500 payments/s, hz isolated:
//              the daemons' activation -> the checker's first recorded
//              failure of hz's payments (failover[] hz detection_ms).
// Run as root from the repository: build/bench/drill_bench abort|detection [--runs N] [--repo DIR]
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "injector/fleet/fleet_client.h"
#include "injector/fleet/inventory.h"
#include "support/loopback_http.h"
#include "support/netns.h"
#include "support/payments_drill.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using injector::testing::ChildProcess;
using injector::testing::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

struct Options {
  std::string repo = ".";
  int runs = 5;
};

std::string injector_bin(const Options& o) { return o.repo + "/build/injector/injector"; }

// Faults the drill holds on the inventory's daemons now.
int drill_faults(const injector::fleet::Inventory& inv, const std::string& drill) {
  int n = 0;
  for (const auto& r : injector::fleet::call_each(inv, "GET", "/v1/faults")) {
    for (const auto& f : r.body.value("faults", json::array())) {
      n += f.value("spec", json::object()).value("labels", json::object()).value("drill", "") == drill;
    }
  }
  return n;
}

bool wait_for_faults(const injector::fleet::Inventory& inv, const std::string& drill) {
  const auto end = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < end) {
    if (drill_faults(inv, drill) > 0) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

json read_report(const std::string& dir) {
  std::ifstream in(dir + "/report.json");
  return in ? json::parse(in, nullptr, false) : json();
}

void print_figures(const char* what, std::vector<double> ms) {
  if (ms.empty()) {
    std::printf("%s: no figures\n", what);
    return;
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  std::printf("%s over %zu runs: median %.1f ms, min %.1f ms, max %.1f ms\n", what, ms.size(), median, ms.front(), ms.back());
}

// A lab without payments, taken down whatever happens.
struct PlainLab {
  PlainLab(const Options& o, const std::string& lab_prefix) : repo(o.repo), prefix(lab_prefix) {
    inventory_path = injector::testing::run_checked(
        {repo + "/scripts/lab", "up", "--dcs", "3", "--hosts-per-dc", "16", "--prefix", prefix});
    inventory_path.erase(inventory_path.find_last_not_of(" \n") + 1);
    inventory_path = inventory_path.substr(inventory_path.find_last_of('\n') + 1);
    inventory = injector::fleet::load_inventory(inventory_path);
  }
  ~PlainLab() { injector::testing::run_command({repo + "/scripts/lab", "down", "--prefix", prefix}); }
  std::string repo, prefix, inventory_path;
  injector::fleet::Inventory inventory;
};

std::string abort_playbook(const std::string& probe_url) {
  return "version: 1\nname: bench-abort\n"
         "safety: {max_duration: 2m}\n"
         "probes:\n  - name: up\n    interval: 100ms\n    timeout: 200ms\n    http: {url: " + probe_url + "/health}\n"
         "guards:\n  - name: up\n    expect: {metric: probe.up, op: \">=\", value: 1, window: 500ms, for: 1}\n"
         "steps:\n  - wait: 1s\n  - id: cut-hz\n    inject:\n      partition: {isolate: hz}\n      for: 60s\n";
}

// One drill: the guard trips when the probe's server goes away mid-hold.
std::optional<double> one_abort(const Options& o, const PlainLab& lab, const TempDir& dir, int run) {
  injector::testing::LoopbackHttp server;
  server.server().Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  server.start();
  const std::string pb = dir.file("abort.yaml"), report = dir.file("abort-" + std::to_string(run));
  std::ofstream(pb) << abort_playbook(server.url());
  ChildProcess p({injector_bin(o), "run", pb, "--inventory", lab.inventory_path, "--report", report},
                 dir.file("abort-" + std::to_string(run) + ".log"));
  if (!wait_for_faults(lab.inventory, "bench-abort")) {
    std::cerr << "run " << run << ": the faults never arrived\n" << p.log();
    return std::nullopt;
  }
  std::this_thread::sleep_for(1s);  // every host active, the guard watching
  server.server().stop();
  const auto rc = p.wait_exit(60s);
  const json r = read_report(report);
  if (rc != 22 || !r.is_object() || r["guards"].empty() || !r["guards"][0]["revert_confirmed_unix_us"].is_number()) {
    std::cerr << "run " << run << ": exit " << rc.value_or(-1) << ", no guard abort measured\n" << p.log();
    return std::nullopt;
  }
  const json& g = r["guards"][0];
  const double ms = static_cast<double>(g["revert_confirmed_unix_us"].get<std::int64_t>() - g["breach_unix_us"].get<std::int64_t>()) / 1000.0;
  std::printf("run %d: breach -> revert sent %.1f ms, -> every revert confirmed %.1f ms (%zu hosts, %d faults left)\n", run,
              static_cast<double>(g["revert_sent_unix_us"].get<std::int64_t>() - g["breach_unix_us"].get<std::int64_t>()) / 1000.0,
              ms, lab.inventory.hosts.size(), drill_faults(lab.inventory, "bench-abort"));
  return ms;
}

int bench_abort(const Options& o) {
  PlainLab lab(o, "rb" + std::to_string(getpid() % 100000));
  TempDir dir("drillbench");
  std::vector<double> ms;
  for (int i = 1; i <= o.runs; ++i) {
    if (auto m = one_abort(o, lab, dir, i)) ms.push_back(*m);
  }
  print_figures("abort: guard breach -> every daemon's confirmed revert (3 x 16 lab)", ms);
  return ms.size() == static_cast<std::size_t>(o.runs) ? 0 : 1;
}

std::string detection_playbook() {
  return "version: 1\nname: bench-detection\n"
         "workload:\n  payments: {rate: 500}\n"
         "invariants: [conserved, acknowledged_once]\n"
         "steps:\n  - wait: 3s\n  - id: cut-hz\n    inject:\n      partition: {isolate: hz}\n      for: 4s\n  - wait: 2s\n";
}

// history.jsonl: the first failed or unknown completion of an hz payer's
// attempt at or after the cut's start-fault, in ms after it: when the checker
// recorded the failure (detection_ms dates it by the attempt's start instead).
std::optional<double> first_recorded_failure_ms(const std::string& dir) {
  std::ifstream in(dir + "/history.jsonl");
  std::optional<std::int64_t> cut_ns;
  for (std::string line; std::getline(in, line);) {
    const json op = json::parse(line, nullptr, false);
    if (!op.is_object()) continue;
    if (op.value("process", json()) == "nemesis" && op.value("f", "") == "start-fault") cut_ns = op["time"].get<std::int64_t>();
    const std::string type = op.value("type", "");
    if (cut_ns && op.value("dc", "") == "hz" && (type == "fail" || type == "info") && op["time"].get<std::int64_t>() >= *cut_ns) {
      return static_cast<double>(op["time"].get<std::int64_t>() - *cut_ns) / 1e6;
    }
  }
  return std::nullopt;
}

std::optional<double> one_detection(const Options& o, const injector::testing::PaymentsLab& lab, const TempDir& dir, int run,
                                    std::vector<double>& recorded_ms) {
  injector::testing::fail_back_everything(lab);
  const std::string pb = dir.file("detection.yaml"), report = dir.file("detection-" + std::to_string(run));
  std::ofstream(pb) << detection_playbook();
  ChildProcess p({"ip", "netns", "exec", lab.users_netns(), injector_bin(o), "run", pb, "--inventory",
                  "/run/injector-lab/" + lab.prefix() + "/inventory.yaml", "--report", report},
                 dir.file("detection-" + std::to_string(run) + ".log"));
  const auto rc = p.wait_exit(120s);
  const json r = read_report(report);
  for (const auto& e : r.is_object() ? r["failover"] : json::array()) {
    if (e["fault"] != "cut-hz" || e["edge"] != "start" || !e["per_dc"].contains("hz")) continue;
    const json& hz = e["per_dc"]["hz"];
    if (!hz["detection_ms"].is_number()) break;
    const auto recorded = first_recorded_failure_ms(report);
    if (recorded) recorded_ms.push_back(*recorded);
    std::printf("cut %d: exit %d, detection %.1f ms (first failed attempt's start), first failure recorded %s ms, "
                "rto %s ms, payments ok %s\n", run, rc.value_or(-1), hz["detection_ms"].get<double>(),
                recorded ? std::to_string(*recorded).c_str() : "-", hz["rto_ms"].dump().c_str(),
                r["payments"]["ok"].dump().c_str());
    return hz["detection_ms"].get<double>();
  }
  std::cerr << "cut " << run << ": exit " << rc.value_or(-1) << ", no detection figure\n" << p.log();
  return std::nullopt;
}

int bench_detection(const Options& o) {
  injector::testing::PaymentsLab lab(o.repo, "rb" + std::to_string(getpid() % 100000));
  TempDir dir("drillbench");
  std::vector<double> ms, recorded;
  for (int i = 1; i <= o.runs; ++i) {
    if (auto m = one_detection(o, lab, dir, i, recorded)) ms.push_back(*m);
  }
  print_figures("detection: hz's isolation active on the daemons -> start of hz's first failed attempt (500 payments/s)", ms);
  print_figures("detection: hz's isolation active on the daemons -> hz's first failure recorded (history.jsonl)", recorded);
  return ms.size() == static_cast<std::size_t>(o.runs) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"injector run's abort and detection figures, each on a lab of its own"};
  Options o;
  std::string what;
  app.add_option("what", what, "abort or detection")->required()->check(CLI::IsMember({"abort", "detection"}));
  app.add_option("--repo", o.repo, "the repository (scripts/lab, build/injector/injector)");
  app.add_option("--runs", o.runs, "drills to measure")->check(CLI::Range(1, 50));
  CLI11_PARSE(app, argc, argv);
  if (geteuid() != 0) {
    std::cerr << "drill_bench: needs root (it brings up a lab)\n";
    return 2;
  }
  try {
    return what == "abort" ? bench_abort(o) : bench_detection(o);
  } catch (const std::exception& e) {
    std::cerr << "drill_bench: " << e.what() << "\n";
    return 1;
  }
}
