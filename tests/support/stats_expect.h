#pragma once
// GoogleTest assertions on support/stats.h's acceptance regions, with the
// figures printed so a passing run still shows how close it came.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "support/stats.h"

namespace injector::testing::stats {

// Judges `hits` of n trials against a rate p: a false alarm at most 1e-4;
// a rate off by half (p/2, 3p/2) missed at most 1e-4 when n >= samples(p).
inline void expect_rate(long hits, int n, double p, const std::string& what) {
  const RateTest t = rate_test(n, off_by_half(p));
  EXPECT_TRUE(t.accepts(static_cast<int>(hits))) << t.explain(static_cast<int>(hits), what);
  std::printf("[ figures  ] %s\n", t.explain(static_cast<int>(hits), what).c_str());
}

// Trials needed to catch a rate p off by half (and keep false alarms) at 1e-4.
inline int samples(double p) { return samples_for(off_by_half(p)); }

}  // namespace injector::testing::stats
