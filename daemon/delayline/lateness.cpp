#include "daemon/delayline/lateness.h"

#include <bit>

namespace injector::delayline {

std::uint64_t Lateness::total() const {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

double Lateness::quantile_us(double q) const {
  const std::uint64_t n = total();
  if (n == 0) return 0;
  // The smallest bucket whose cumulative count reaches ceil(q * n).
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(n));
  if (static_cast<double>(rank) < q * static_cast<double>(n) || rank == 0) ++rank;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen >= rank) return static_cast<double>(std::uint64_t{1} << i);
  }
  return static_cast<double>(std::uint64_t{1} << (kBuckets - 1));
}

Lateness Lateness::since(const Lateness& earlier) const {
  Lateness d;
  for (std::size_t i = 0; i < kBuckets; ++i) d.counts[i] = counts[i] - earlier.counts[i];
  return d;
}

std::size_t LatenessRecorder::bucket_of(std::int64_t late_ns) {
  if (late_ns < 1000) return 0;  // early or on time (under 1 us) alike
  const auto us = static_cast<std::uint64_t>(late_ns / 1000);
  const auto b = static_cast<std::size_t>(std::bit_width(us));  // 1 us -> 1, 2-3 us -> 2, ...
  return b < Lateness::kBuckets ? b : Lateness::kBuckets - 1;
}

Lateness LatenessRecorder::snapshot() const {
  Lateness s;
  for (std::size_t i = 0; i < Lateness::kBuckets; ++i) s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  return s;
}

}  // namespace injector::delayline
