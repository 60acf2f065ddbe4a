#include "support/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace injector::testing::stats {
namespace {

double log_pmf(int k, int n, double p) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
         (n - k) * std::log1p(-p);
}

// P(a <= X <= b) for X ~ Binomial(n, p).
double binomial_range(int a, int b, int n, double p) {
  a = std::max(a, 0);
  b = std::min(b, n);
  double sum = 0;
  for (int k = a; k <= b; ++k) sum += binomial_pmf(k, n, p);
  return std::min(sum, 1.0);
}

}  // namespace

double binomial_pmf(int k, int n, double p) {
  if (k < 0 || k > n) return 0;
  if (p <= 0) return k == 0 ? 1 : 0;
  if (p >= 1) return k == n ? 1 : 0;
  return std::exp(log_pmf(k, n, p));
}

double binomial_cdf(int k, int n, double p) { return binomial_range(0, k, n, p); }
double binomial_sf(int k, int n, double p) { return binomial_range(k, n, n, p); }

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

RateTest rate_test(int n, const Alternatives& a, double false_alarm) {
  if (n <= 0 || !(a.alt_lo <= a.null_lo && a.null_lo <= a.null_hi && a.null_hi <= a.alt_hi)) {
    throw std::invalid_argument("rate_test: need n > 0 and alt_lo <= null_lo <= null_hi <= alt_hi");
  }
  RateTest t;
  t.n = n;
  t.alt = a;
  // lo: the largest bound whose lower tail below it stays within half the budget.
  double tail = 0;
  for (int k = 0; k <= n; ++k) {
    tail += binomial_pmf(k, n, a.null_lo);
    if (tail > false_alarm / 2) break;
    t.lo = k + 1;
  }
  tail = 0;
  t.hi = n;
  for (int k = n; k >= 0; --k) {
    tail += binomial_pmf(k, n, a.null_hi);
    if (tail > false_alarm / 2) break;
    t.hi = k - 1;
  }
  // Each tail is worst at its edge of the band: their sum bounds every rate in it.
  t.false_alarm = binomial_cdf(t.lo - 1, n, a.null_lo) + binomial_sf(t.hi + 1, n, a.null_hi);
  t.miss = std::max(binomial_range(t.lo, t.hi, n, a.alt_lo), binomial_range(t.lo, t.hi, n, a.alt_hi));
  return t;
}

int samples_for(const Alternatives& a, double false_alarm, double miss) {
  auto ok = [&](int n) { return rate_test(n, a, false_alarm).miss <= miss; };
  int hi = 16;
  while (!ok(hi)) {
    if (hi > (1 << 22)) throw std::invalid_argument("samples_for: the alternatives are too close");
    hi *= 2;
  }
  int lo = hi / 2;  // not ok, or the start
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    (ok(mid) ? hi : lo) = mid;
  }
  // Discreteness makes miss(n) wiggle: step on until it holds (it does at the doubling point).
  while (!ok(hi)) ++hi;
  return hi;
}

Alternatives off_by_half(double p) { return off_by_half(p, p); }
Alternatives off_by_half(double lo, double hi) { return {lo, hi, lo * 0.5, std::min(1.0, hi * 1.5)}; }
Alternatives sojourn_off_by_half(double r) { return {r, r, r / 1.5, std::min(1.0, r * 2)}; }
Alternatives off_by_points(double f, double points) {
  return {f, f, std::max(0.0, f - points), std::min(1.0, f + points)};
}

std::string RateTest::explain(int hits, const std::string& what) const {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "%s: %d of %d, accepted [%d, %d] (expected rate %.4g..%.4g; catches %.4g and %.4g; "
                "false alarm %.2g, miss %.2g)",
                what.c_str(), hits, n, lo, hi, alt.null_lo, alt.null_hi, alt.alt_lo, alt.alt_hi, false_alarm, miss);
  return buf;
}

double median_escape(int n) {
  // The sample median is above q75 when at most (n-1)/2 draws are at or below
  // q75, i.e. Binomial(n, 0.75) <= (n-1)/2; symmetric below q25.
  return 2 * binomial_cdf((n - 1) / 2, n, 0.75);
}

double timing_margin_ms(double expected_ms) { return std::max(0.2 * expected_ms, 5.0); }
double median_tolerance_ms(double expected_ms) { return timing_margin_ms(expected_ms) / 2; }

}  // namespace injector::testing::stats
