#pragma once
// The checker's live numbers: every attempt's observation (ok, fail,
// unknown) in 100 ms buckets, per datacenter and overall, for the whole run,
// so guards can read sliding windows while the workers write and step
// expectations and the report can read any span afterwards.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "injector/drill/histogram.h"
#include "injector/drill/traffic.h"

namespace injector::drill {

struct Window {
  std::int64_t from_us = 0;  // [from, to), Unix µs; both edges are rounded down to the 100 ms grid
  std::int64_t to_us = 0;
};

enum class Metric {
  success_rate,  // ok / (ok + fail + unknown)
  ok_per_s,
  latency_p50,   // ms, of the ok observations, from the payment's due time
  latency_p90,
  latency_p99,
  latency_max,
  ok_count,
  fail_count,
  unknown_count,
};
const char* to_string(Metric m);

struct SecondRow {
  std::int64_t start_us = 0;  // the second [start, start + 1 s)
  std::uint64_t ok = 0, fail = 0, unknown = 0;
  std::optional<double> p50_ms, p99_ms, max_ms;  // nullopt: no ok in that second
};

class Recorder {
 public:
  static constexpr std::int64_t kBucketUs = 100'000;

  // origin_us: the run's start; buckets are aligned to it. An observation
  // before it counts in the first bucket.
  explicit Recorder(std::int64_t origin_us);

  // Thread-safe. at_us: when the attempt ended; latency_us: from its
  // payment's due time (used for ok only).
  void record(const std::string& dc, Observed kind, std::int64_t at_us, std::int64_t latency_us);

  // Thread-safe. dc "" is every datacenter together. nullopt when the window
  // holds no observation at all (the checker saw nothing: never a pass), and
  // for a latency when it holds no ok.
  std::optional<double> value(Metric m, const std::string& dc, Window w) const;

  // Each second from the origin to the last observation, for the report.
  std::vector<SecondRow> series(const std::string& dc) const;
  std::vector<std::string> datacenters() const;

 private:
  struct Bucket {
    std::uint64_t ok = 0, fail = 0, unknown = 0;
    Histogram latency;
  };
  using Series = std::vector<Bucket>;  // grows as the run goes on

  Bucket merged(const Series& s, std::int64_t first, std::int64_t last) const;  // [first, last)
  std::int64_t bucket_of(std::int64_t at_us) const;

  std::int64_t origin_us_;
  mutable std::mutex mu_;
  Series all_;
  std::map<std::string, Series> by_dc_;
};

// The on_attempt hook that feeds a recorder, the payer's datacenter given by
// dc_of (account -> dc; "" when unknown). Each payment is observed at most
// twice: its first attempt when that was not ok (fail or unknown), and its
// acknowledgement (ok); the retries in between are not counted again. So
// success_rate is about payments (users), not about how often they retried.
std::function<void(const SentPayment&, const Attempt&)> record_into(
    Recorder& recorder, std::function<std::string(std::int64_t account)> dc_of);

}  // namespace injector::drill
