// Benchmark (issue 15 section 3): what a flood of unauthenticated TCP
// connections costs the daemon and its legitimate users. injectord runs in
// site a of a ThreeSiteLab with --listen 127.0.0.1:PORT and mutual TLS, its
// default caps and handshake timeout. A legitimate client (its own source
// address, 127.0.0.1) applies and reverts a cut on a's eth0 over TLS, first
// unloaded, then while one local peer (127.0.0.2) makes --rate connection
// attempts per second for --seconds, half idle and half sending garbage.
// Prints the client's apply+revert median unloaded and under the flood, the
// daemon's RSS idle / peak during / after the flood, its descriptors, and
// what the daemon counted (GET /metrics).
// Usage: connection_flood_bench [--seconds 30] [--rate 10000] [--cycles 40] [--settle 5]
//                               [--injectord PATH]   (root)

#include <dirent.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/conn_flood.h"
#include "injector/http_client.h"
#include "support/in_netns.h"
#include "support/listener.h"
#include "support/netns.h"
#include "support/process.h"

namespace {

using namespace injector;
using Clock = std::chrono::steady_clock;
constexpr std::uint16_t kPort = 18543;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The daemon's CPU time so far, in seconds: user and system.
std::pair<double, double> cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double ticks[2] = {0, 0};
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14 || i == 15) ticks[i - 14] = std::stod(f);  // utime, stime
  }
  const auto hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {ticks[0] / hz, ticks[1] / hz};
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

long open_fds(pid_t pid) {
  long n = 0;
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (const dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

// One legitimate apply + revert of a cut over TLS, in ms; throws if either is refused.
double apply_and_revert(const client::Endpoint& ep) {
  const nlohmann::json body = {{"device", "eth0"}, {"match", {{"to", {"10.231.2.2/32"}}}},
                               {"impairments", {{"cut", nlohmann::json::object()}}}};
  const auto t0 = Clock::now();
  const auto applied = client::http_request(ep, "POST", "/v1/faults", body.dump());
  if (applied.status != 201) throw std::runtime_error("apply answered " + std::to_string(applied.status) + ": " + applied.body);
  const std::string id = nlohmann::json::parse(applied.body).value("id", "");
  const auto reverted = client::http_request(ep, "DELETE", "/v1/faults/" + id);
  if (reverted.status != 200 && reverted.status != 204) {
    throw std::runtime_error("revert answered " + std::to_string(reverted.status) + ": " + reverted.body);
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The daemon's own count of what it refused: the connection families of /metrics.
std::string connection_metrics(const client::Endpoint& unix_ep) {
  std::istringstream in(client::http_request(unix_ep, "GET", "/metrics").body);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line[0] == '#') continue;
    if (line.find("connections") != std::string::npos || line.find("handshake") != std::string::npos) {
      out += "  " + line + "\n";
    }
  }
  return out;
}

struct Watch {  // the daemon's RSS and descriptors, sampled every 50 ms
  long peak_rss = 0, peak_fds = 0;
  std::atomic<bool> stop{false};
  std::thread thread;
  void start(pid_t pid) {
    thread = std::thread([this, pid] {
      while (!stop) {
        peak_rss = std::max(peak_rss, rss_kib(pid));
        peak_fds = std::max(peak_fds, open_fds(pid));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  void finish() {
    stop = true;
    thread.join();
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"connection_flood_bench: a flood of unauthenticated connections against injectord's TLS port"};
  bench::FloodOptions flood;
  int cycles = 40;
  double settle = 5;
  std::string injectord = INJECTORD_BIN;
  app.add_option("--seconds", flood.seconds, "how long the flood lasts")->capture_default_str();
  app.add_option("--rate", flood.rate, "connection attempts per second")->capture_default_str();
  app.add_option("--cycles", cycles, "unloaded apply+revert cycles")->capture_default_str();
  app.add_option("--settle", settle, "seconds after the flood before the 'after' RSS")->capture_default_str();
  app.add_option("--injectord", injectord, "the daemon to flood (e.g. another build, to compare)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  flood.port = kPort;

  testing::ThreeSiteLab lab;
  const std::string ns = lab.ns('a');
  // One peer makes 10,000 connections a second: its namespace's ports must not run out.
  lab.exec('a', {"sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65535"});
  lab.exec('a', {"sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1"});
  char tmpl[] = "/tmp/injflood-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  testing::run_checked({std::string(SOURCE_DIR) + "/scripts/make-test-ca", dir + "/pki", "--client-cn", "bench"});
  const std::string sock = dir + "/injectord.sock";
  testing::ChildProcess daemon({"ip", "netns", "exec", ns, injectord, "--socket", sock, "--state-dir", dir + "/state",
                                "--listen", "127.0.0.1:" + std::to_string(kPort), "--tls-cert", dir + "/pki/server.pem",
                                "--tls-key", dir + "/pki/server.key", "--client-ca", dir + "/pki/ca.pem"},
                               dir + "/injectord.log");
  if (!testing::wait_for_path(sock, std::chrono::seconds(10)) ||
      !testing::wait_for_listener(ns, kPort, std::chrono::seconds(5))) {
    throw std::runtime_error("the daemon did not start: " + daemon.log());
  }
  const auto tls_ep = client::Endpoint::parse("https://127.0.0.1:" + std::to_string(kPort),
                                              {dir + "/pki/client.pem", dir + "/pki/client.key", dir + "/pki/ca.pem"});
  const auto unix_ep = client::Endpoint::parse("unix:" + sock);

  return testing::in_netns(ns, [&] {
    std::vector<double> unloaded, loaded, unloaded_after;
    for (int i = 0; i < cycles; ++i) unloaded.push_back(apply_and_revert(tls_ep));
    const long idle_rss = rss_kib(daemon.pid()), idle_fds = open_fds(daemon.pid());

    Watch watch;
    watch.start(daemon.pid());
    std::atomic<bool> stop{false};
    bench::FloodResult fr;
    const auto cpu0 = cpu_seconds(daemon.pid());
    const auto flood_start = Clock::now();
    std::thread attacker([&] { fr = bench::run_flood(flood, stop); });
    long failed = 0;
    const auto until = Clock::now() + std::chrono::duration<double>(flood.seconds);
    while (Clock::now() < until) {
      try {
        loaded.push_back(apply_and_revert(tls_ep));
      } catch (const std::exception& e) {
        if (++failed <= 3) std::printf("  legitimate client failed under the flood: %s\n", e.what());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    attacker.join();
    const double flood_wall = std::chrono::duration<double>(Clock::now() - flood_start).count();
    const auto cpu1 = cpu_seconds(daemon.pid());
    const double daemon_user = (cpu1.first - cpu0.first) / flood_wall, daemon_sys = (cpu1.second - cpu0.second) / flood_wall;
    const long end_fds = open_fds(daemon.pid());
    std::this_thread::sleep_for(std::chrono::duration<double>(settle));
    // Unloaded again: the machine's other load drifts, so the baseline is taken on both sides.
    for (int i = 0; i < cycles; ++i) unloaded_after.push_back(apply_and_revert(tls_ep));
    watch.finish();
    const long after_rss = rss_kib(daemon.pid()), after_fds = open_fds(daemon.pid());

    const double mu_before = median(unloaded), mu_after = median(unloaded_after);
    unloaded.insert(unloaded.end(), unloaded_after.begin(), unloaded_after.end());
    const double mu = median(unloaded), ml = median(loaded);
    std::printf("connection flood: %d attempts/s for %.0f s from %s (half idle, half garbage) at the daemon's TLS port\n",
                flood.rate, flood.seconds, flood.source.c_str());
    std::printf("  attacker: %ld attempts in %.1f s (%.0f/s), %ld closed by the daemon, %ld failed to connect, %ld "
                "skipped, %ld open at the end\n",
                fr.attempts, fr.seconds, static_cast<double>(fr.attempts) / std::max(fr.seconds, 1e-9), fr.closed_by_server,
                fr.connect_failed, fr.skipped, fr.still_open);
    std::printf("  legitimate apply+revert over mTLS: median %.2f ms unloaded (%zu: %.2f before, %.2f after the flood), "
                "%.2f ms under the flood (%zu, %ld failed): %.2fx (goal <= 2x)\n",
                mu, unloaded.size(), mu_before, mu_after, ml, loaded.size(), failed, ml / mu);
    std::printf("  daemon CPU during the flood: %.0f%% of one core (user %.0f%%, system %.0f%%)\n",
                100 * (daemon_user + daemon_sys), 100 * daemon_user, 100 * daemon_sys);
    std::printf("  daemon RSS: idle %.1f MiB, peak during the flood %.1f MiB (goal <= 32), %.0f s after %.1f MiB "
                "(%+.1f MiB from idle; goal within 2)\n",
                mib(idle_rss), mib(watch.peak_rss), settle, mib(after_rss), mib(after_rss - idle_rss));
    std::printf("  daemon descriptors: idle %ld, peak %ld, at the flood's end %ld, after %ld\n", idle_fds,
                watch.peak_fds, end_fds, after_fds);
    std::printf("  the daemon's counts (/metrics):\n%s", connection_metrics(unix_ep).c_str());
    std::filesystem::remove_all(dir);
    return failed == 0 ? 0 : 1;
  });
}
