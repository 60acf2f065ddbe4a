#pragma once
// The two measurements of payments_bench, one function each.

#include <string>
#include <vector>

#include "support/payments_lab.h"

namespace injector::bench {

struct BenchOptions {
  std::string repo = ".";
  int cuts = 5;
  double rate = 100;
  int hold_ms = 6000;
  std::vector<double> rates = {200, 400, 600, 800, 1000, 1200};
  int seconds = 10;
};

void run_failover(const testing::PaymentsLab& lab, const BenchOptions& o);
void run_capacity(const testing::PaymentsLab& lab, const BenchOptions& o);

}  // namespace injector::bench
