// ProbeRunner on loopback: checks on a fixed grid (no drift, no pile-up),
// a prompt stop, and the counts the guards and expectations read.
//
// Timing bounds (false alarm <= 1e-4 on a loaded 2-core machine): each is
// crossed only if a woken thread stays unscheduled for 75 ms or more, or
// twice for 50 ms within 1.25 s, where scheduling delays are a few ms at a
// load of 6-8 (figures printed: 12-13 checks of 13 ticks, median 99-100 ms,
// the check after a slow one at 799-803 ms). The implementations they catch
// are off by 25 ms (the slow check then a whole interval: 900 ms) to 10 s.

#include <gtest/gtest.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>

#include "injector/drill/probes.h"
#include "tests/injector/drill/probe_test_util.h"
#include "tests/support/loopback_http.h"
#include "tests/support/silent_listener.h"

namespace {

using namespace injector::drill;
using namespace injector::drill::testing;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

class ProbeRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& s = http_.server();
    s.Get("/ok", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.Get("/down", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    s.Get("/half-interval", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(milliseconds(50));
      res.set_content("ok", "text/plain");
    });
    s.Get("/first-slow", [this](const httplib::Request&, httplib::Response& res) {
      if (calls_++ == 0) std::this_thread::sleep_for(milliseconds(700));
      res.set_content("ok", "text/plain");
    });
    http_.start();
  }

  injector::playbook::Probe probe(const std::string& name, const std::string& path, milliseconds interval,
                                  milliseconds timeout = milliseconds(2000)) {
    auto p = http_probe(http_.url() + path, timeout);
    p.name = name;
    p.interval = interval;
    return p;
  }

  static std::int64_t ms_between(std::int64_t from_us, std::int64_t to_us) { return (to_us - from_us) / 1000; }

  std::atomic<int> calls_{0};
  injector::testing::LoopbackHttp http_;
};

TEST_F(ProbeRunnerTest, ChecksEveryIntervalStartToStartWithoutDrift) {
  // Each check takes half the interval: a runner that waited an interval
  // after each check would start every 150 ms, not every 100.
  ProbeRunner runner({probe("p", "/half-interval", milliseconds(100))});
  const auto start = Clock::now();
  runner.start();
  std::this_thread::sleep_for(milliseconds(1250));
  const auto ran_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  runner.stop();
  // Checks start only at ticks before stop() returned: at most this many.
  const auto stopped_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  const auto results = runner.results();
  const auto ticks = static_cast<std::size_t>(ran_ms / 100 + 1);
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < results.size(); ++i) gaps.push_back(ms_between(results[i - 1].start_us, results[i].start_us));
  std::sort(gaps.begin(), gaps.end());
  ASSERT_GE(gaps.size(), 2u);
  const auto median = gaps[gaps.size() / 2];
  std::printf("[ figures  ] %zu checks in %lld ms (%zu ticks), median start-to-start %lld ms\n", results.size(),
              static_cast<long long>(ran_ms), ticks, static_cast<long long>(median));
  EXPECT_LE(results.size(), static_cast<std::size_t>(stopped_ms / 100 + 1));
  EXPECT_GE(results.size() + 2, ticks);
  EXPECT_GE(median, 90);
  EXPECT_LE(median, 125);
  for (const auto& r : results) EXPECT_EQ(r.observed, Observed::kOk) << r.detail;
}

TEST_F(ProbeRunnerTest, ACheckSlowerThanItsIntervalSkipsTicksInsteadOfPilingUp) {
  // The first check takes 700 ms, three and a half intervals: the next one
  // starts at the next tick (800 ms), neither three at once to catch up nor
  // an interval after the slow one ended (900 ms or later).
  ProbeRunner runner({probe("p", "/first-slow", milliseconds(200))});
  runner.start();
  std::this_thread::sleep_for(milliseconds(1500));
  runner.stop();
  const auto results = runner.results();
  ASSERT_GE(results.size(), 3u);
  const auto second_ms = ms_between(results[0].start_us, results[1].start_us);
  std::printf("[ figures  ] after a 700 ms check at interval 200 ms: the next started at %lld ms, %zu checks in 1.5 s\n",
              static_cast<long long>(second_ms), results.size());
  EXPECT_GE(second_ms, 700);
  EXPECT_LE(second_ms, 875) << "the check after a slow one waits for the next tick, not a whole interval more";
  for (std::size_t i = 1; i < results.size(); ++i) {
    EXPECT_GE(results[i].start_us, results[i - 1].end_us) << "two checks of one probe overlapped";
    EXPECT_GE(ms_between(results[i - 1].start_us, results[i].start_us), 100) << "missed ticks were run back to back";
  }
  EXPECT_LE(results.size(), 6u);  // 0, 800, 1000, 1200, 1400 ms
}

TEST_F(ProbeRunnerTest, StopDoesNotWaitOutTheInterval) {
  std::atomic<int> seen{0};
  ProbeRunner runner({probe("p", "/ok", milliseconds(10000))}, [&seen](const ProbeResult&) { ++seen; });
  runner.start();
  for (int i = 0; i < 500 && seen == 0; ++i) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_EQ(seen, 1);
  const auto start = Clock::now();
  runner.stop();
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(runner.results().size(), 1u);
}

TEST_F(ProbeRunnerTest, StopWaitsOnlyForTheCheckInFlight) {
  injector::testing::SilentListener silent;
  auto p = http_probe(silent.url() + "/", milliseconds(500));
  p.name = "hung";
  p.interval = milliseconds(10000);
  ProbeRunner runner({p});
  runner.start();
  std::this_thread::sleep_for(milliseconds(100));
  const auto start = Clock::now();
  runner.stop();
  const auto took = Clock::now() - start;
  EXPECT_LT(took, milliseconds(2500)) << "stop took longer than the check's timeout allows";
  const auto results = runner.results();
  ASSERT_EQ(results.size(), 1u) << "the check in flight is kept";
  EXPECT_EQ(results[0].observed, Observed::kUnknown);
}

TEST_F(ProbeRunnerTest, CountsAndSuccessFractionPerProbeAndWindow) {
  injector::testing::SilentListener silent;
  auto blind = http_probe(silent.url() + "/", milliseconds(100));
  blind.name = "blind";
  blind.interval = milliseconds(50);
  std::atomic<int> callbacks{0};
  ProbeRunner runner({probe("up", "/ok", milliseconds(50)), probe("down", "/down", milliseconds(50)), blind},
                     [&callbacks](const ProbeResult&) { ++callbacks; });
  const auto before = unix_now_us();
  runner.start();
  EXPECT_THROW(runner.start(), std::logic_error);
  std::this_thread::sleep_for(milliseconds(600));
  runner.stop();
  const auto results = runner.results();
  EXPECT_EQ(callbacks, static_cast<int>(results.size()));
  EXPECT_TRUE(std::is_sorted(results.begin(), results.end(),
                             [](const ProbeResult& a, const ProbeResult& b) { return a.start_us < b.start_us; }));

  const ProbeCounts up = runner.counts("up", 0, kForever), down = runner.counts("down", 0, kForever),
                    hung = runner.counts("blind", 0, kForever);
  EXPECT_GE(up.ok, 3);
  EXPECT_EQ(up.fail + up.unknown, 0);
  EXPECT_GE(down.fail, 3);
  EXPECT_EQ(down.ok + down.unknown, 0);
  EXPECT_GE(hung.unknown, 2);
  EXPECT_EQ(hung.ok + hung.fail, 0);
  EXPECT_EQ(static_cast<std::size_t>(up.ok + down.fail + hung.unknown), results.size());
  EXPECT_EQ(runner.success_fraction("up", 0, kForever), 1.0);
  EXPECT_EQ(runner.success_fraction("down", 0, kForever), 0.0);
  EXPECT_EQ(runner.success_fraction("blind", 0, kForever), std::nullopt) << "only unknowns: no verdict";
  EXPECT_EQ(runner.success_fraction("nobody", 0, kForever), std::nullopt);
  EXPECT_EQ(runner.success_fraction("up", 0, before), std::nullopt);

  // The window is [from, to) over the time a check ended.
  const auto first_up = *std::find_if(results.begin(), results.end(), [](auto& r) { return r.probe == "up"; });
  EXPECT_EQ(runner.counts("up", first_up.end_us, first_up.end_us + 1).ok, 1);
  EXPECT_EQ(runner.counts("up", before, first_up.end_us).ok, 0);
  EXPECT_EQ(runner.counts("up", first_up.end_us, kForever).ok, up.ok);
}

}  // namespace
