#pragma once
// Latency histogram, log-linear like HdrHistogram (none is packaged in
// Debian for C/C++): values in µs from 0 to 1 h, exact below 256 µs, then
// 128 sub-buckets per power of two, so a quantile is within 0.4% of the
// recorded value it stands for. Sparse (only the buckets in use are stored)
// because the recorder keeps one per 100 ms per datacenter for hours.

#include <cstdint>
#include <utility>
#include <vector>

namespace injector::drill {

class Histogram {
 public:
  static constexpr std::int64_t kMaxValue = 3'600'000'000;  // 1 h in µs; larger values count as 1 h

  void record(std::int64_t value_us, std::uint64_t n = 1);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Exact extremes of what was recorded (after clamping to [0, kMaxValue]).
  std::int64_t min() const { return min_; }
  std::int64_t max() const { return max_; }
  // The value at rank ceil(q * count) of the sorted recorded values, within
  // 0.4%; q in [0, 1]. 0 when empty.
  std::int64_t quantile(double q) const;

  // The bucket of a value and the midpoint of a bucket (exposed for tests).
  static std::uint32_t index_of(std::int64_t value_us);
  static std::int64_t lowest_of(std::uint32_t index);
  static std::int64_t width_of(std::uint32_t index);

 private:
  friend class HistogramSum;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets_;  // sorted by index
  std::uint64_t count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

// The sum of many histograms (a window of the recorder's buckets) in one
// pass over each: merging them pairwise would copy the growing sum each time,
// under the lock the workers wait on.
class HistogramSum {
 public:
  HistogramSum();
  void add(const Histogram& h);
  Histogram result() const;

 private:
  std::vector<std::uint64_t> counts_;  // dense, by bucket index
  Histogram extremes_;                 // count, min and max
};

}  // namespace injector::drill
