#include "injector/run/guard_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "injector/drill/recorder.h"

namespace {

using injector::drill::Observed;
using injector::drill::Recorder;
using injector::drill::unix_now_us;
using injector::run::GuardOutcome;
using injector::run::GuardWatch;
using injector::run::Sources;
using namespace std::chrono_literals;

injector::playbook::Guard success_guard(const std::string& name, int for_count) {
  injector::playbook::Guard g;
  g.name = name;
  g.path = "guards." + name;
  g.expect.metric = injector::playbook::Metric::success_rate;
  g.expect.op = injector::playbook::CompareOp::ge;
  g.expect.value = 0.9;
  g.expect.window = 1000ms;
  g.expect.for_count = for_count;
  return g;
}

// Records one observation every 5 ms for as long as it lives, so every
// guard window holds data.
class Feed {
 public:
  Feed(Recorder& r, Observed kind) : thread_([this, &r, kind] {
      while (!stop_) {
        r.record("hz", kind, unix_now_us(), 2000);
        std::this_thread::sleep_for(5ms);
      }
    }) {}
  ~Feed() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Sources sources_of(const Recorder& r) {
  Sources s;
  s.recorder = &r;
  return s;
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds patience) {
  const auto until = std::chrono::steady_clock::now() + patience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Every window is all failures, so each evaluation is a breach: the guard
// with for 3 trips on exactly its 3rd, the one with for 5 on its 5th, and
// the abort runs once, for the first. Fails if `for` were ignored or
// counted differently, or if on_trip ran per guard or per evaluation.
TEST(GuardWatch, TripsAfterForBreachesInARowAndAbortsOnce) {
  Recorder recorder(unix_now_us() - 2'000'000);
  const std::vector guards = {success_guard("fast", 3), success_guard("slow", 5)};
  std::atomic<int> trips{0};
  std::string first;
  Feed feed(recorder, Observed::kFail);
  std::this_thread::sleep_for(200ms);  // data in the first window
  GuardWatch watch(guards, sources_of(recorder), [&](const GuardOutcome& g) {
    first = g.guard->name;
    ++trips;
  });
  const auto started = unix_now_us();
  watch.start();
  watch.start();  // idempotent: still one thread, one count
  ASSERT_TRUE(wait_for([&] { return watch.outcomes()[1].tripped; }, 10s));
  std::this_thread::sleep_for(300ms);  // more breaches: no second abort
  watch.stop();
  EXPECT_TRUE(watch.tripped());
  EXPECT_EQ(trips.load(), 1);
  EXPECT_EQ(first, "fast");
  const auto out = watch.outcomes();
  EXPECT_EQ(out[0].evaluations, 3);
  EXPECT_EQ(out[1].evaluations, 5);
  for (const auto& o : out) {
    EXPECT_TRUE(o.tripped);
    EXPECT_EQ(o.no_data, 0);
    ASSERT_TRUE(o.breach_us && o.measured);
    EXPECT_EQ(*o.measured, 0.0);
    // The 3rd evaluation comes 300 ms after the start at the earliest.
    EXPECT_GE(*o.breach_us - started, o.guard->expect.for_count * 100'000 - 5'000);
  }
}

// Fails if a healthy system tripped a guard, or if the guard did not
// evaluate at all (then it could not have tripped either).
TEST(GuardWatch, AHealthyRecorderNeverTrips) {
  Recorder recorder(unix_now_us() - 2'000'000);
  const std::vector guards = {success_guard("collapse", 1)};
  std::atomic<int> trips{0};
  Feed feed(recorder, Observed::kOk);
  std::this_thread::sleep_for(200ms);
  GuardWatch watch(guards, sources_of(recorder), [&](const GuardOutcome&) { ++trips; });
  watch.start();
  ASSERT_TRUE(wait_for([&] { return watch.outcomes()[0].evaluations >= 10; }, 10s));
  watch.stop();
  EXPECT_FALSE(watch.tripped());
  EXPECT_EQ(trips.load(), 0);
  const auto o = watch.outcomes()[0];
  EXPECT_FALSE(o.tripped);
  EXPECT_FALSE(o.breach_us);
  EXPECT_EQ(o.no_data, 0);
}

// A window with no observation neither breaches nor passes; each is
// counted, so the drill can call a guard that saw nothing "unknown".
TEST(GuardWatch, AWindowWithNothingInItIsCountedAsNoData) {
  Recorder recorder(unix_now_us());
  const std::vector guards = {success_guard("collapse", 1)};
  std::atomic<int> trips{0};
  GuardWatch watch(guards, sources_of(recorder), [&](const GuardOutcome&) { ++trips; });
  watch.start();
  ASSERT_TRUE(wait_for([&] { return watch.outcomes()[0].evaluations >= 5; }, 10s));
  watch.stop();
  const auto o = watch.outcomes()[0];
  EXPECT_FALSE(o.tripped);
  EXPECT_EQ(trips.load(), 0);
  EXPECT_EQ(o.no_data, o.evaluations);
}

// Guards watch from the first fault: before start() nothing is evaluated,
// and after stop() nothing more is.
TEST(GuardWatch, EvaluatesOnlyBetweenStartAndStop) {
  Recorder recorder(unix_now_us() - 2'000'000);
  const std::vector guards = {success_guard("collapse", 1)};
  Feed feed(recorder, Observed::kFail);
  GuardWatch watch(guards, sources_of(recorder), nullptr);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(watch.outcomes()[0].evaluations, 0);
  watch.stop();
  watch.start();  // after stop: refused
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(watch.outcomes()[0].evaluations, 0);
  EXPECT_FALSE(watch.tripped());
}

}  // namespace
