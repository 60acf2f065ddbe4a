#pragma once
// The behaviour every backend must show on real traffic (delay, jitter, loss,
// duplicate, corrupt, reorder, combinations, ingress), written once and run
// per backend: netem in the stock-kernel lane (tests/vm), the delay line on
// this machine's kernel (tests/integration/delayline_daemon_test.cpp). The
// parameter is the backend's name, sent in every fault.
//
// Every statistical assertion is judged by support/stats.h: a false alarm at
// most 1e-4 when the backend is right, a miss at most 1e-4 when a rate (or a
// mean burst, or a jitter's spread) is off by half; sample sizes are computed
// from those two rates, not chosen. Delays are judged by medians of 200
// probes against a baseline from the same run, within half the margin
// max(20%, 5 ms) the issue asks to catch (see stats::median_tolerance_ms).

#include <algorithm>
#include <cmath>

#include "integration/daemon_fixture.h"
#include "support/stats_expect.h"

namespace injector::testing {

class Behaviour : public DaemonInLab, public ::testing::WithParamInterface<std::string> {
 protected:
  // Probes go out this often: dense enough for thousands of samples in
  // seconds, sparse enough that no queue on the path builds up.
  static constexpr double kProbeInterval = 0.002;

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
    return median_rtt_ms(ping_replies(lab_->ns(from), to, n, 0.005));
  }
  static double tolerance(double delay_ms) { return stats::median_tolerance_ms(delay_ms); }

  // How many replies came back for each probe 1..n (index 0 unused).
  std::vector<int> replies_per_probe(const std::string& to, int n) const {
    std::vector<int> per(static_cast<std::size_t>(n) + 1, 0);
    for (const auto& r : ping_replies(lab_->ns('a'), to, n, kProbeInterval)) {
      if (r.seq >= 1 && r.seq <= n) ++per[static_cast<std::size_t>(r.seq)];
    }
    return per;
  }
  static void expect_rate(long hits, int n, double p, const std::string& what) { stats::expect_rate(hits, n, p, what); }
  static int samples(double p) { return stats::samples(p); }
};

}  // namespace injector::testing
