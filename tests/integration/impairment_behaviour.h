#pragma once
// The behaviour every backend must show on real traffic (delay, jitter, loss,
// duplicate, corrupt, reorder, combinations, ingress), written once and run
// per backend: netem in the stock-kernel lane (tests/vm), the delay line on
// this machine's kernel (tests/integration/delayline_test.cpp). The
// parameter is the backend's name, sent in every fault.
// Timing under software emulation is noisy: judge by medians of 200 probes,
// against a baseline from the same run, within +/- max(2%, 1 ms).

#include <algorithm>
#include <cmath>

#include "integration/daemon_fixture.h"

namespace injector::testing {

class Behaviour : public DaemonInLab, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    DaemonInLab::SetUp();
    if (IsSkipped()) return;
    const auto caps = api("GET", "/v1/capabilities").body;
    ASSERT_TRUE(caps["backends"].value(GetParam(), false))
        << "this lane needs the " << GetParam() << " backend; the kernel offers " << caps.dump();
  }
  std::string apply(const nlohmann::json& impairments, const std::vector<std::string>& to,
                    const std::string& direction = "egress") {
    nlohmann::json body = {{"device", "eth0"}, {"direction", direction}, {"backend", GetParam()},
                           {"match", {{"to", to}}}, {"impairments", impairments}};
    auto a = api("POST", "/v1/faults", body.dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(a.body.value("backend", ""), GetParam()) << a.body.dump();
    return a.body.value("id", "");
  }
  double median(char from, const std::string& to, int n = 200) const {
    return median_rtt_ms(ping_replies(lab_->ns(from), to, n));
  }
  static double tolerance(double delay_ms) { return std::max(0.02 * delay_ms, 1.0); }
  // Hits in n probes must fall in the 99% binomial interval around p.
  static void expect_binomial(int hits, int n, double p, const char* what) {
    const double mean = n * p, sd = std::sqrt(n * p * (1 - p));
    EXPECT_GE(hits, mean - 2.576 * sd) << what << ": " << hits << " of " << n;
    EXPECT_LE(hits, mean + 2.576 * sd) << what << ": " << hits << " of " << n;
  }
};

}  // namespace injector::testing
