// Benchmark: one targeted cut built and removed, three ways, interleaved in
// the same run so machine noise hits all of them alike:
//   tc      the five `tc` processes an operator or a shell-out tool would run
//   engine  KernelTc over netlink (root, class, leaf, filter; delete)
//   api     the daemon end to end: POST /v1/faults then DELETE, over its socket
// twice: before the daemon starts (tc and engine only: no tc filter anywhere
// on the host), and with the daemon running. Then the apply time of one fault
// with 10,000 target CIDRs, and how much untouched traffic still flows through
// the device: bare, under our root alone, and under that fault.
// Usage: injector_bench [--cycles N]   (root; builds its own namespaces)

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/tc/kernel_tc.h"
#include "injector/http_client.h"
#include "support/netns.h"
#include "support/process.h"

namespace {

using namespace injector;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void enter_netns(const std::string& ns) {
  const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter namespace " + ns);
  close(fd);
}

void tc_cycle() {
  using testing::run_checked;
  run_checked({"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "fa17:", "htb"});
  run_checked({"tc", "class", "add", "dev", "eth0", "parent", "fa17:", "classid", "fa17:101", "htb", "rate", "100gbit"});
  run_checked({"tc", "qdisc", "add", "dev", "eth0", "parent", "fa17:101", "handle", "f001:", "blackhole"});
  run_checked({"tc", "filter", "add", "dev", "eth0", "parent", "fa17:", "protocol", "ip", "prio", "258", "u32", "match",
               "ip", "dst", "10.231.2.2/32", "flowid", "fa17:101"});
  run_checked({"tc", "qdisc", "del", "dev", "eth0", "root"});
}

nlohmann::json cut_body(const std::vector<std::string>& to) {
  return {{"device", "eth0"}, {"match", {{"to", to}}}, {"impairments", {{"cut", nlohmann::json::object()}}}};
}

std::vector<std::string> ten_thousand_targets() {
  std::vector<std::string> t;
  for (int i = 0; t.size() < 10'000; ++i) t.push_back("10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "/32");
  return t;
}

double iperf_gbits(const testing::ThreeSiteLab& lab) {
  auto out = lab.exec('a', {"iperf3", "-c", testing::ThreeSiteLab::v4('c'), "-t", "2", "-J"});
  auto j = nlohmann::json::parse(out.out, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("iperf3 failed: " + out.out);
  return j["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
}


// tc, the netlink engine and (with a daemon) the API, interleaved cycle by cycle.
void run_cycles(const char* condition, int cycles, tc::KernelTc& kernel, const client::Endpoint* endpoint) {
  Match m;
  m.to = {Cidr::parse("10.231.2.2/32")};
  const auto rules = tc::rules_for_match(m);
  Impairments cut;
  cut.cut = CutImpairment{};
  const auto plan = tc::plan_slot(cut);
  const int ifindex = kernel.ifindex("eth0");
  std::vector<double> t_tc, t_engine, t_api, t_api_apply, ph[3];
  for (int i = 0; i < cycles; ++i) {
    auto t0 = Clock::now();
    tc_cycle();
    t_tc.push_back(ms_since(t0));
    t0 = Clock::now();
    kernel.install_root(ifindex);
    ph[0].push_back(ms_since(t0));
    auto t1 = Clock::now();
    kernel.install_fault(ifindex, 1, plan, rules, false);
    ph[1].push_back(ms_since(t1));
    t1 = Clock::now();
    kernel.remove_root(ifindex);
    ph[2].push_back(ms_since(t1));
    t_engine.push_back(ms_since(t0));
    if (!endpoint) continue;
    t0 = Clock::now();
    auto r = client::http_request(*endpoint, "POST", "/v1/faults", cut_body({"10.231.2.2/32"}).dump());
    t_api_apply.push_back(ms_since(t0));
    const std::string id = nlohmann::json::parse(r.body).value("id", "");
    client::http_request(*endpoint, "DELETE", "/v1/faults/" + id);
    t_api.push_back(ms_since(t0));
  }
  const double tc_ms = median(t_tc), engine_ms = median(t_engine);
  std::printf("targeted cut, apply+revert, %s: median of %d interleaved cycles\n", condition, cycles);
  std::printf("  tc command line (5 processes)   %8.3f ms\n", tc_ms);
  std::printf("  netlink engine (KernelTc)       %8.3f ms   %6.1fx faster than tc\n", engine_ms, tc_ms / engine_ms);
  if (endpoint) {
    std::printf("  daemon API (POST + DELETE)      %8.3f ms   %6.1fx faster than tc\n", median(t_api), tc_ms / median(t_api));
    std::printf("  daemon API apply alone (POST)   %8.3f ms\n", median(t_api_apply));
  }
  std::printf("  engine phases: root %.3f ms, fault %.3f ms, removal %.3f ms\n", median(ph[0]), median(ph[1]),
              median(ph[2]));
}

// Untouched traffic beside one fault of 10,000 targets, against the bare
// device and against our root alone (no fault), alternating round by round.
void run_ten_thousand(const testing::ThreeSiteLab& lab, tc::KernelTc& kernel, const client::Endpoint& endpoint,
                      int rounds) {
  std::vector<double> bare, root_only, with_fault, apply_10k;
  const auto body = cut_body(ten_thousand_targets()).dump();
  for (int round = 0; round < rounds; ++round) {
    bare.push_back(iperf_gbits(lab));
    kernel.install_root(kernel.ifindex("eth0"));
    root_only.push_back(iperf_gbits(lab));
    kernel.remove_root(kernel.ifindex("eth0"));
    const auto t0 = Clock::now();
    auto r = client::http_request(endpoint, "POST", "/v1/faults", body);
    apply_10k.push_back(ms_since(t0));
    if (r.status != 201) throw std::runtime_error("10,000-target apply failed: " + r.body);
    with_fault.push_back(iperf_gbits(lab));
    client::http_request(endpoint, "DELETE", "/v1/faults");
  }
  const double b = median(bare);
  std::printf("one fault with 10,000 target CIDRs (median of %d alternating rounds):\n", rounds);
  std::printf("  apply through the API           %8.1f ms (best %.1f ms)\n", median(apply_10k),
              *std::min_element(apply_10k.begin(), apply_10k.end()));
  std::printf("  untouched TCP throughput a->c   %8.2f Gbit/s bare\n", b);
  std::printf("    with our root alone (no fault) %7.2f Gbit/s (%.0f%% of bare)\n", median(root_only),
              100.0 * median(root_only) / b);
  std::printf("    with the 10,000-target fault   %7.2f Gbit/s (%.0f%% of bare)\n", median(with_fault),
              100.0 * median(with_fault) / b);
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 30;
  if (argc == 3 && std::string(argv[1]) == "--cycles") cycles = std::stoi(argv[2]);
  testing::ThreeSiteLab lab;
  enter_netns(lab.ns('a'));  // this thread, and the tc processes it forks, now work in site a
  tc::KernelTc kernel;
  // Before any daemon runs: the first software tc filter on a host flips a
  // kernel static key (code patching on every CPU) and the last one flips it
  // back, paid by tc and netlink alike. A running injectord holds that switch
  // (daemon/tc/classifier_switch.h), so this case is a host without it.
  run_cycles("before injectord starts (no tc filter on the host)", cycles, kernel, nullptr);

  char tmpl[] = "/tmp/injbench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string sock = dir + "/injectord.sock";
  testing::ChildProcess daemon({"ip", "netns", "exec", lab.ns('a'), INJECTORD_BIN, "--socket", sock, "--state-dir",
                                dir + "/state", "--log-level", "warn"},
                               dir + "/injectord.log");
  if (!testing::wait_for_path(sock, std::chrono::seconds(10))) throw std::runtime_error("daemon did not start");
  const auto endpoint = client::Endpoint::parse("unix:" + sock);
  run_cycles("with injectord running", cycles, kernel, &endpoint);

  testing::ChildProcess iperf_server({"ip", "netns", "exec", lab.ns('c'), "iperf3", "-s"}, dir + "/iperf3.log");
  usleep(300'000);
  run_ten_thousand(lab, kernel, endpoint, 9);
  std::filesystem::remove_all(dir);
  return 0;
}
