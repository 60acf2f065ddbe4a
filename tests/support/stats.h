#pragma once
// Acceptance regions for the statistical and timing assertions of the tests,
// with the error rates they guarantee (issue 12): each assertion raises a
// false alarm with probability at most kFalseAlarm when the implementation is
// right, and misses with probability at most kMiss when it is off by the
// stated margin. Tails are exact binomial sums, never normal approximations.
//
// What each judge guarantees, and under which assumption:
// - RateTest: hits ~ Binomial(n, p) with p in the null band [null_lo, null_hi]
//   (a band, not a point, so a small known bias such as measurement noise
//   does not become a false alarm). Accepts lo <= hits <= hi; each tail is at
//   most kFalseAlarm / 2 at the band's edge, and at both alternative rates
//   the chance of accepting is at most kMiss.
// - off_by_half(p): alternatives p/2 and 3p/2 (a rate off by +/-50%).
// - Markov chains (Gilbert-Elliott): judge the exit rate of a state as a
//   RateTest on its transitions (exits out of visits). Given the visits,
//   a chain's transitions out of one state are independent draws, so the
//   mean sojourn 1/r is off by +/-50% exactly when the exit rate is r/1.5 or
//   r/0.5; burst_length() builds that test.
// - flap: the down fraction of probes, alternatives +/-10 points.
// - MedianTolerance: the margin is max(20%, 5 ms); a difference of two
//   sample medians is accepted within +/- margin/2. If each probe's noise has
//   its quartiles within margin/4 of its median (on a loaded 2-core machine
//   ping noise quartiles are tens of microseconds, so 1.25 ms is generous),
//   a sample median of n probes leaves that quartile band with probability
//   median_escape(n) (exact binomial; about 1e-13 for n = 200), so both the
//   false alarm and the miss at the margin are at most 2 * median_escape(n).

#include <string>

namespace injector::testing::stats {

constexpr double kFalseAlarm = 1e-4;
constexpr double kMiss = 1e-4;

// Exact binomial probabilities, summed term by term in log space.
double binomial_pmf(int k, int n, double p);
double binomial_cdf(int k, int n, double p);  // P(X <= k)
double binomial_sf(int k, int n, double p);   // P(X >= k)

// Standard normal cumulative distribution (for stating noise assumptions).
double normal_cdf(double z);

struct Alternatives {
  double null_lo, null_hi;  // the true rate when the implementation is right
  double alt_lo, alt_hi;    // the rates it must tell apart (alt_lo < null_lo, null_hi < alt_hi)
};

struct RateTest {
  int n = 0;
  int lo = 0, hi = 0;  // accept lo <= hits <= hi
  double false_alarm = 0;  // worst case over the null band (both tails)
  double miss = 0;         // worst case over the two alternatives
  Alternatives alt{};
  bool accepts(int hits) const { return hits >= lo && hits <= hi; }
  // "what: 93 of 1000, accepted [71, 130] (null 0.0938..0.0938, alt 0.0469/0.1406, n ...)"
  std::string explain(int hits, const std::string& what) const;
};

// The acceptance interval for n trials. miss is computed, not promised:
// check it, or use samples_for to choose n.
RateTest rate_test(int n, const Alternatives& a, double false_alarm = kFalseAlarm);

// The smallest n whose rate_test misses at most `miss` at both alternatives.
int samples_for(const Alternatives& a, double false_alarm = kFalseAlarm, double miss = kMiss);

// A rate p (optionally a band around it), alternatives p/2 and 3p/2.
Alternatives off_by_half(double p);
Alternatives off_by_half(double lo, double hi);
// A state's exit rate r (mean sojourn 1/r), alternatives for a mean sojourn
// off by +/-50%: exit rates r/1.5 and 2r.
Alternatives sojourn_off_by_half(double r);
// A fraction f, alternatives f - points and f + points (clamped to [0, 1]).
Alternatives off_by_points(double f, double points);

// Probability that the sample median of n independent draws falls outside
// the draws' population quartiles [q25, q75].
double median_escape(int n);

// The tolerance for a measured delay of `expected_ms`: half the margin
// max(20%, 5 ms) that an implementation must be caught at.
double median_tolerance_ms(double expected_ms);
double timing_margin_ms(double expected_ms);

}  // namespace injector::testing::stats
