#include "bench/payments_figures.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <iostream>

#include "support/payments_drill.h"

namespace injector::bench {

namespace {

double ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }
std::string ms_or_none(const std::optional<std::int64_t>& us) {
  return us ? std::to_string(static_cast<long long>(ms(*us))) : "none";
}
std::string ms_or_none(const std::optional<drill::Interruption>& i) {
  return i ? std::to_string(static_cast<long long>(ms(i->length_us()))) : "0";
}

struct Row {
  std::string leader;
  std::optional<std::int64_t> rto_us;
  std::optional<drill::Interruption> others, heal;
  std::size_t lost = 0;
  bool ok = false;
};

Row one_cut(const testing::PaymentsLab& lab, const BenchOptions& o, const std::string& leader_in, int n) {
  testing::fail_back_everything(lab);
  testing::etcd_move_leader(lab, leader_in);
  testing::CutDrill d;
  d.dc = "hz";
  d.rate_per_s = o.rate;
  d.hold = std::chrono::milliseconds(o.hold_ms);
  d.key_prefix = "bench" + std::to_string(getpid()) + "-" + leader_in + std::to_string(n) + "-";
  const testing::CutOutcome out = testing::run_cut_drill(lab, d);
  Row r{leader_in, out.rto_us, out.others, out.after_heal, out.verdict.lost.size(), out.verdict.ok()};
  std::printf("cut %-2d leader in %-3s  rto %6s ms  others %6s ms (served away %d)  heal %6s ms  lost %zu  ledger %s  (skew %.1f ms)\n",
              n, leader_in.c_str(), ms_or_none(r.rto_us).c_str(), ms_or_none(r.others).c_str(), out.others_served_away,
              ms_or_none(r.heal).c_str(), r.lost, r.ok ? "ok" : out.verdict.to_json().dump().c_str(),
              ms(out.isolation.last_active_us - out.isolation.first_active_us));
  std::fflush(stdout);
  return r;
}

void summarize(const std::vector<Row>& rows, const std::string& placement) {
  std::int64_t rto = 0, others = 0, heal = 0;
  std::size_t lost = 0, failed = 0;
  for (const Row& r : rows) {
    if (r.leader != placement) continue;
    rto = std::max(rto, r.rto_us.value_or(INT64_MAX / 2));
    others = std::max(others, r.others ? r.others->length_us() : 0);
    heal = std::max(heal, r.heal ? r.heal->length_us() : 0);
    lost += r.lost;
    failed += r.ok ? 0 : 1;
  }
  std::printf("leader %-7s worst of its cuts: rto %.0f ms, others %.0f ms, heal %.0f ms; acknowledged lost %zu (RPO); ledgers failed %zu\n",
              placement.c_str(), ms(rto), ms(others), ms(heal), lost, failed);
}

}  // namespace

void run_failover(const testing::PaymentsLab& lab, const BenchOptions& o) {
  std::vector<Row> rows;
  std::printf("failover: %d cuts of hz per leader placement, %.0f payments/s, %d ms each\n", o.cuts, o.rate, o.hold_ms);
  for (int i = 0; i < o.cuts; ++i) rows.push_back(one_cut(lab, o, "sh", i));
  for (int i = 0; i < o.cuts; ++i) rows.push_back(one_cut(lab, o, "hz", i));
  summarize(rows, "sh");
  summarize(rows, "hz");
}

void run_capacity(const testing::PaymentsLab& lab, const BenchOptions& o) {
  testing::fail_back_everything(lab);
  std::printf("capacity: offered rate, acknowledged/s, p50, p99 (from when each payment was due), not final\n");
  double best = 0;
  for (const double rate : o.rates) {
    drill::TrafficPlan plan;
    plan.api_url = lab.api_url();
    plan.rate_per_s = rate;
    plan.duration = std::chrono::seconds(o.seconds);
    plan.workers = 32;  // fewer than the router's 64 threads: httplib gives each open connection one
    plan.key_prefix = "cap" + std::to_string(getpid()) + "-" + std::to_string(static_cast<int>(rate)) + "-";
    std::atomic<bool> stop{false};
    const auto sent = lab.as_user([&] { return drill::run_traffic(plan, stop); });
    std::vector<std::int64_t> latency, lag, exchange;  // due->answer; due->first send; one HTTP exchange
    std::size_t unfinished = 0;
    for (const auto& p : sent) {
      if (!p.acknowledged()) {
        ++unfinished;
        continue;
      }
      latency.push_back(p.final_attempt()->end_us - p.due_us);
      lag.push_back(p.attempts.front().start_us - p.due_us);
      exchange.push_back(p.attempts.front().end_us - p.attempts.front().start_us);
    }
    auto quantile = [](std::vector<std::int64_t>& v, double q) {
      if (v.empty()) return 0.0;
      std::sort(v.begin(), v.end());
      return ms(v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]);
    };
    auto pct = [&](double q) { return quantile(latency, q); };
    std::printf("  (client lag p50 %.1f ms p99 %.1f ms; one exchange p50 %.1f ms p99 %.1f ms)\n", quantile(lag, 0.5),
                quantile(lag, 0.99), quantile(exchange, 0.5), quantile(exchange, 0.99));
    const double acked_per_s = static_cast<double>(latency.size()) / o.seconds;
    std::printf("  %6.0f/s  %7.1f/s  p50 %6.1f ms  p99 %7.1f ms  not final %zu\n", rate, acked_per_s, pct(0.5),
                pct(0.99), unfinished);
    std::fflush(stdout);
    if (pct(0.99) <= 50.0 && unfinished == 0) best = std::max(best, acked_per_s);
  }
  std::printf("capacity at p99 <= 50 ms: %.0f payments/s\n", best);
}

}  // namespace injector::bench
