// A load loop for the sample payment system: N client threads post payments
// to one URL (a paysvc or the payrouter) for a while and report payments/s
// and latency percentiles. Closed loop by default; --rate paces the total.
//   payments_load --url http://127.0.0.1:8080 [--threads 8] [--seconds 10]
//                 [--accounts 10000] [--payer-mod 3 --payer-rem 0] [--rate 0]
#include <CLI/CLI.hpp>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string url;
  int threads = 8, seconds = 10;
  int64_t accounts = 10000, payer_mod = 3, payer_rem = 0;
  double rate = 0;
  CLI::App app{"payments_load: post payments and measure"};
  app.add_option("--url", url)->required();
  app.add_option("--threads", threads);
  app.add_option("--seconds", seconds);
  app.add_option("--accounts", accounts);
  app.add_option("--payer-mod", payer_mod, "payers are accounts with id % mod == rem (3/0: hz's units by default)");
  app.add_option("--payer-rem", payer_rem);
  app.add_option("--rate", rate, "total payments/s to offer (0 = as fast as answered)");
  CLI11_PARSE(app, argc, argv);

  std::mutex mu;
  std::vector<double> latencies_ms;
  std::map<int, int64_t> statuses;
  const auto start = Clock::now(), end = start + std::chrono::seconds(seconds);
  const std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      httplib::Client cli(url);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      cli.set_read_timeout(std::chrono::seconds(5));
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 1);
      std::vector<double> lat;
      std::map<int, int64_t> st;
      auto period = rate > 0 ? std::chrono::duration<double>(threads / rate) : std::chrono::duration<double>(0);
      // Staggered, so that the threads' payments do not arrive in bursts.
      auto next = start + std::chrono::duration_cast<Clock::duration>(period * t / threads);
      for (int64_t i = 0; Clock::now() < end; ++i) {
        if (rate > 0) {
          std::this_thread::sleep_until(next);
          next += std::chrono::duration_cast<Clock::duration>(period);
        }
        int64_t from = payer_rem + payer_mod * static_cast<int64_t>(rng() % static_cast<uint64_t>(accounts / payer_mod));
        int64_t to = static_cast<int64_t>(rng() % static_cast<uint64_t>(accounts));
        if (to == from) to = (to + 1) % accounts;
        std::string body = "{\"from\":" + std::to_string(from) + ",\"to\":" + std::to_string(to) +
                           ",\"amount_minor\":" + std::to_string(1 + rng() % 100) + ",\"currency\":\"CNY\"}";
        httplib::Headers h{{"Idempotency-Key", "load-" + run + "-" + std::to_string(t) + "-" + std::to_string(i)}};
        auto t0 = Clock::now();
        auto r = cli.Post("/v1/payments", h, body, "application/json");
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        st[r ? r->status : 0]++;
      }
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), lat.begin(), lat.end());
      for (auto [k, v] : st) statuses[k] += v;
    });
  for (auto& th : pool) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0 : latencies_ms[std::min(latencies_ms.size() - 1, static_cast<size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf("requests %zu in %.1f s: %.0f/s; latency ms p50 %.1f p99 %.1f max %.1f; status",
              latencies_ms.size(), secs, static_cast<double>(latencies_ms.size()) / secs, pct(0.5), pct(0.99),
              latencies_ms.empty() ? 0.0 : latencies_ms.back());
  for (auto [k, v] : statuses) std::printf(" %d:%lld", k, static_cast<long long>(v));
  std::printf("\n");
  return 0;
}
