#pragma once
// Expectations as explicit comparisons, and the state machine of a guard
// that evaluates one every 100 ms. What is measured comes from the Recorder;
// the playbook layer maps its syntax onto these.

#include <cstdint>
#include <optional>
#include <string>

namespace injector::drill {

enum class Op { lt, le, gt, ge, eq, ne, between };
const char* to_string(Op op);

struct Comparison {
  Op op = Op::ge;
  double value = 0;
  double high = 0;  // between: measured in [value, high], both included
};

// Whether the measured value satisfies the comparison. NaN satisfies none.
bool holds(const Comparison& c, double measured);

struct GuardConfig {
  Comparison expect;        // what must hold; a breach is when it does not
  int for_count = 1;        // consecutive breaches that trip the guard
  std::int64_t after_us = 0;  // grace from the guard's start: evaluations before it are ignored
};

// One guard, fed an evaluation at a time (every 100 ms). Not thread-safe:
// the guard thread owns it.
class GuardState {
 public:
  enum class Eval { grace, pass, breach, no_data, tripped };

  GuardState(GuardConfig config, std::int64_t start_us);

  // One evaluation at now_us of a measurement (nullopt: the window had no
  // observation). Returns what it was; tripped once the streak reaches
  // for_count, and from then on for every later call.
  Eval feed(std::int64_t now_us, std::optional<double> measured);

  bool tripped() const { return trip_time_us_.has_value(); }
  std::optional<std::int64_t> trip_time_us() const { return trip_time_us_; }
  std::optional<double> trip_value() const { return trip_value_; }
  int streak() const { return streak_; }
  int no_data_count() const { return no_data_; }

 private:
  GuardConfig config_;
  std::int64_t start_us_;
  int streak_ = 0;
  int no_data_ = 0;
  std::optional<std::int64_t> trip_time_us_;
  std::optional<double> trip_value_;
};

const char* to_string(GuardState::Eval e);

}  // namespace injector::drill
