#include "injector/drill/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace injector::drill {

namespace {
constexpr int kSubBits = 7;                      // 128 sub-buckets per power of two
constexpr std::uint32_t kExact = 2u << kSubBits;  // values below 256 have a bucket each
}  // namespace

std::uint32_t Histogram::index_of(std::int64_t v) {
  v = std::clamp<std::int64_t>(v, 0, kMaxValue);
  const auto u = static_cast<std::uint64_t>(v);
  if (u < kExact) return static_cast<std::uint32_t>(u);
  const int k = static_cast<int>(std::bit_width(u)) - 1;  // u in [2^k, 2^(k+1)), k >= 8
  const int shift = k - kSubBits;
  const auto sub = static_cast<std::uint32_t>(u >> shift);  // in [128, 256)
  return kExact + static_cast<std::uint32_t>(k - kSubBits - 1) * (1u << kSubBits) + (sub - (1u << kSubBits));
}

std::int64_t Histogram::lowest_of(std::uint32_t index) {
  if (index < kExact) return index;
  const std::uint32_t rel = index - kExact;
  const int k = static_cast<int>(rel >> kSubBits) + kSubBits + 1;
  const std::uint64_t sub = (rel & ((1u << kSubBits) - 1)) + (1u << kSubBits);
  return static_cast<std::int64_t>(sub << (k - kSubBits));
}

std::int64_t Histogram::width_of(std::uint32_t index) {
  if (index < kExact) return 1;
  const int k = static_cast<int>((index - kExact) >> kSubBits) + kSubBits + 1;
  return std::int64_t{1} << (k - kSubBits);
}

void Histogram::record(std::int64_t value_us, std::uint64_t n) {
  if (n == 0) return;
  value_us = std::clamp<std::int64_t>(value_us, 0, kMaxValue);
  const std::uint32_t i = index_of(value_us);
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), i,
                             [](const auto& b, std::uint32_t x) { return b.first < x; });
  if (it != buckets_.end() && it->first == i) {
    it->second += n;
  } else {
    buckets_.insert(it, {i, n});
  }
  min_ = count_ == 0 ? value_us : std::min(min_, value_us);
  max_ = count_ == 0 ? value_us : std::max(max_, value_us);
  count_ += n;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
  out.reserve(buckets_.size() + other.buckets_.size());
  auto a = buckets_.begin();
  auto b = other.buckets_.begin();
  while (a != buckets_.end() || b != other.buckets_.end()) {
    if (b == other.buckets_.end() || (a != buckets_.end() && a->first < b->first)) {
      out.push_back(*a++);
    } else if (a == buckets_.end() || b->first < a->first) {
      out.push_back(*b++);
    } else {
      out.emplace_back(a->first, a->second + b->second);
      ++a;
      ++b;
    }
  }
  buckets_ = std::move(out);
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
}

std::int64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (const auto& [index, n] : buckets_) {
    seen += n;
    if (seen >= rank) {
      // The bucket's midpoint, but never outside what was recorded.
      const std::int64_t mid = lowest_of(index) + (width_of(index) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

HistogramSum::HistogramSum() : counts_(Histogram::index_of(Histogram::kMaxValue) + 1, 0) {}

void HistogramSum::add(const Histogram& h) {
  if (h.empty()) return;
  for (const auto& [index, n] : h.buckets_) counts_[index] += n;
  auto& e = extremes_;
  e.min_ = e.count_ == 0 ? h.min_ : std::min(e.min_, h.min_);
  e.max_ = e.count_ == 0 ? h.max_ : std::max(e.max_, h.max_);
  e.count_ += h.count_;
}

Histogram HistogramSum::result() const {
  Histogram out = extremes_;
  for (std::uint32_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) out.buckets_.emplace_back(i, counts_[i]);
  }
  return out;
}

}  // namespace injector::drill
