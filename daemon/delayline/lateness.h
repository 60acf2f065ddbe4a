#pragma once
// How late the delay line gives its verdicts, measured against each packet's
// release time once the verdicts are sent (the forwarding they trigger runs
// in that send, so it is included). This is the line's own timing error: it
// tells a slow or starved delay-line thread apart from delays elsewhere on
// the path (a receiver's scheduling, say), which an end-to-end probe mixes.
// Power-of-two buckets keep recording to one relaxed atomic increment.

#include <array>
#include <atomic>
#include <cstdint>

namespace injector::delayline {

struct Lateness {
  // Bucket 0: under 1 us; bucket i: [2^(i-1), 2^i) us; the last takes the rest (>= 262 ms).
  static constexpr std::size_t kBuckets = 20;
  std::array<std::uint64_t, kBuckets> counts{};

  std::uint64_t total() const;
  // The upper edge (us) of the bucket holding quantile q (0..1]: a bound within
  // a factor of two. 0 when empty.
  double quantile_us(double q) const;
  // Counts since `earlier` (a snapshot of the same recorder taken before).
  Lateness since(const Lateness& earlier) const;
};

class LatenessRecorder {
 public:
  static std::size_t bucket_of(std::int64_t late_ns);
  void record(std::int64_t late_ns) { counts_[bucket_of(late_ns)].fetch_add(1, std::memory_order_relaxed); }
  Lateness snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, Lateness::kBuckets> counts_{};
};

}  // namespace injector::delayline
