#pragma once
// The drill's guards on a thread of their own: every 100 ms each guard's
// expectation is measured over its sliding window; one that stays breached
// `for` evaluations in a row trips, and the first trip calls the abort
// (which reverts every fault at once) from this thread, so an abort never
// waits for a step to notice it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "injector/drill/expectation.h"
#include "injector/playbook/playbook.h"
#include "injector/run/measure.h"

namespace injector::run {

struct GuardOutcome {
  const playbook::Guard* guard = nullptr;
  bool tripped = false;
  std::optional<std::int64_t> breach_us;  // the evaluation that tripped it
  std::optional<double> measured;         // its value then
  std::int64_t evaluations = 0, no_data = 0;
};

class GuardWatch {
 public:
  static constexpr std::chrono::milliseconds kPeriod{100};

  // on_trip runs once, on the guard thread, for the first guard that trips.
  GuardWatch(const std::vector<playbook::Guard>& guards, Sources sources,
             std::function<void(const GuardOutcome&)> on_trip);
  ~GuardWatch();  // stops the thread
  GuardWatch(const GuardWatch&) = delete;
  GuardWatch& operator=(const GuardWatch&) = delete;

  // Starts evaluating (at the drill's first inject, sent or not: --no-faults); idempotent.
  void start();
  // Stops evaluating (once the rollback is confirmed) and joins the thread.
  void stop();
  bool tripped() const { return tripped_.load(); }
  std::vector<GuardOutcome> outcomes() const;

 private:
  void loop();
  void evaluate(std::int64_t now_us);

  Sources sources_;
  std::function<void(const GuardOutcome&)> on_trip_;
  std::vector<GuardOutcome> outcomes_;
  std::vector<drill::GuardState> states_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> tripped_{false};
  std::thread thread_;
};

}  // namespace injector::run
