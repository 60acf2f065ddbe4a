#include "injector/drill/recorder.h"

#include <algorithm>

namespace injector::drill {

const char* to_string(Metric m) {
  switch (m) {
    case Metric::success_rate: return "success_rate";
    case Metric::ok_per_s: return "ok_per_s";
    case Metric::latency_p50: return "latency_p50";
    case Metric::latency_p90: return "latency_p90";
    case Metric::latency_p99: return "latency_p99";
    case Metric::latency_max: return "latency_max";
    case Metric::ok_count: return "ok_count";
    case Metric::fail_count: return "fail_count";
    case Metric::unknown_count: return "unknown_count";
  }
  return "?";
}

Recorder::Recorder(std::int64_t origin_us) : origin_us_(origin_us) {}

std::int64_t Recorder::bucket_of(std::int64_t at_us) const {
  const std::int64_t d = at_us - origin_us_;
  if (d < 0) return -((-d + kBucketUs - 1) / kBucketUs);  // floor, for window edges before the origin
  return d / kBucketUs;
}

void Recorder::record(const std::string& dc, Observed kind, std::int64_t at_us, std::int64_t latency_us) {
  const auto b = static_cast<std::size_t>(std::max<std::int64_t>(0, bucket_of(at_us)));
  auto add = [&](Series& s) {
    if (s.size() <= b) s.resize(std::max(b + 1, s.size() * 2));
    Bucket& x = s[b];
    switch (kind) {
      case Observed::kOk:
        ++x.ok;
        x.latency.record(latency_us);
        break;
      case Observed::kFail: ++x.fail; break;
      case Observed::kUnknown: ++x.unknown; break;
    }
  };
  std::lock_guard lock(mu_);
  add(all_);
  if (!dc.empty()) add(by_dc_[dc]);
}

Recorder::Bucket Recorder::merged(const Series& s, std::int64_t first, std::int64_t last) const {
  Bucket out;
  first = std::max<std::int64_t>(first, 0);
  last = std::min<std::int64_t>(last, static_cast<std::int64_t>(s.size()));
  HistogramSum latency;
  for (std::int64_t i = first; i < last; ++i) {
    const Bucket& b = s[static_cast<std::size_t>(i)];
    out.ok += b.ok;
    out.fail += b.fail;
    out.unknown += b.unknown;
    latency.add(b.latency);
  }
  out.latency = latency.result();
  return out;
}

std::optional<double> Recorder::value(Metric m, const std::string& dc, Window w) const {
  const std::int64_t first = bucket_of(w.from_us);
  const std::int64_t last = bucket_of(w.to_us);
  if (last <= first) return std::nullopt;
  Bucket b;
  {
    std::lock_guard lock(mu_);
    if (dc.empty()) {
      b = merged(all_, first, last);
    } else {
      const auto it = by_dc_.find(dc);
      if (it != by_dc_.end()) b = merged(it->second, first, last);
    }
  }
  const std::uint64_t n = b.ok + b.fail + b.unknown;
  if (n == 0) return std::nullopt;
  const double seconds = static_cast<double>((last - first) * kBucketUs) / 1e6;
  auto latency = [&](double q) -> std::optional<double> {
    if (b.latency.empty()) return std::nullopt;
    return static_cast<double>(q >= 1 ? b.latency.max() : b.latency.quantile(q)) / 1000.0;
  };
  switch (m) {
    case Metric::success_rate: return static_cast<double>(b.ok) / static_cast<double>(n);
    case Metric::ok_per_s: return static_cast<double>(b.ok) / seconds;
    case Metric::latency_p50: return latency(0.5);
    case Metric::latency_p90: return latency(0.9);
    case Metric::latency_p99: return latency(0.99);
    case Metric::latency_max: return latency(1);
    case Metric::ok_count: return static_cast<double>(b.ok);
    case Metric::fail_count: return static_cast<double>(b.fail);
    case Metric::unknown_count: return static_cast<double>(b.unknown);
  }
  return std::nullopt;
}

std::vector<SecondRow> Recorder::series(const std::string& dc) const {
  constexpr std::int64_t per_second = 1'000'000 / kBucketUs;
  std::lock_guard lock(mu_);
  const Series* s = &all_;
  if (!dc.empty()) {
    const auto it = by_dc_.find(dc);
    if (it == by_dc_.end()) return {};
    s = &it->second;
  }
  // The series grows by doubling: trailing empty buckets are not the run's.
  std::int64_t end = static_cast<std::int64_t>(s->size());
  while (end > 0) {
    const Bucket& b = (*s)[static_cast<std::size_t>(end - 1)];
    if (b.ok + b.fail + b.unknown > 0) break;
    --end;
  }
  std::vector<SecondRow> rows;
  for (std::int64_t first = 0; first < end; first += per_second) {
    const Bucket b = merged(*s, first, first + per_second);
    SecondRow r;
    r.start_us = origin_us_ + first * kBucketUs;
    r.ok = b.ok;
    r.fail = b.fail;
    r.unknown = b.unknown;
    if (!b.latency.empty()) {
      r.p50_ms = static_cast<double>(b.latency.quantile(0.5)) / 1000.0;
      r.p99_ms = static_cast<double>(b.latency.quantile(0.99)) / 1000.0;
      r.max_ms = static_cast<double>(b.latency.max()) / 1000.0;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<std::string> Recorder::datacenters() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [dc, s] : by_dc_) out.push_back(dc);
  return out;
}

std::function<void(const SentPayment&, const Attempt&)> record_into(
    Recorder& recorder, std::function<std::string(std::int64_t account)> dc_of) {
  return [&recorder, dc_of = std::move(dc_of)](const SentPayment& p, const Attempt& a) {
    // A payment counts once for its trouble (its first attempt, when that
    // failed) and once for its acknowledgement: a stuck payment retried
    // every 100 ms would otherwise add ten failures a second, and a guard
    // would read the retry storm as a collapse of every user.
    if (a.observed != Observed::kOk && p.attempts.size() > 1) return;
    recorder.record(dc_of ? dc_of(p.request.from) : std::string(), a.observed, a.end_us, a.end_us - p.due_us);
  };
}

}  // namespace injector::drill
