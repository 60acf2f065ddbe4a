#include "injector/drill/expectation.h"

#include <cmath>
#include <stdexcept>

namespace injector::drill {

const char* to_string(Op op) {
  switch (op) {
    case Op::lt: return "lt";
    case Op::le: return "le";
    case Op::gt: return "gt";
    case Op::ge: return "ge";
    case Op::eq: return "eq";
    case Op::ne: return "ne";
    case Op::between: return "between";
  }
  return "?";
}

bool holds(const Comparison& c, double m) {
  if (std::isnan(m)) return false;
  switch (c.op) {
    case Op::lt: return m < c.value;
    case Op::le: return m <= c.value;
    case Op::gt: return m > c.value;
    case Op::ge: return m >= c.value;
    case Op::eq: return m == c.value;  // exact: meant for counts (unknown_count eq 0)
    case Op::ne: return m != c.value;
    case Op::between: return m >= c.value && m <= c.high;
  }
  return false;
}

const char* to_string(GuardState::Eval e) {
  switch (e) {
    case GuardState::Eval::grace: return "grace";
    case GuardState::Eval::pass: return "pass";
    case GuardState::Eval::breach: return "breach";
    case GuardState::Eval::no_data: return "no data";
    case GuardState::Eval::tripped: return "tripped";
  }
  return "?";
}

GuardState::GuardState(GuardConfig config, std::int64_t start_us) : config_(config), start_us_(start_us) {
  if (config_.for_count < 1) throw std::invalid_argument("guard: for_count must be at least 1");
  if (config_.after_us < 0) throw std::invalid_argument("guard: after must not be negative");
}

GuardState::Eval GuardState::feed(std::int64_t now_us, std::optional<double> measured) {
  if (tripped()) return Eval::tripped;
  if (now_us - start_us_ < config_.after_us) return Eval::grace;
  // No data neither breaches nor passes, and leaves the streak as it was. A
  // breach would let the checker's own blind spot (a window in which no
  // attempt ended) abort a drill; a pass would let an outage that leaves such
  // windows between its breaches restart the count forever and never trip.
  // The report shows these evaluations as "no data".
  if (!measured) {
    ++no_data_;
    return Eval::no_data;
  }
  if (holds(config_.expect, *measured)) {
    streak_ = 0;
    return Eval::pass;
  }
  if (++streak_ >= config_.for_count) {
    trip_time_us_ = now_us;
    trip_value_ = *measured;
    return Eval::tripped;
  }
  return Eval::breach;
}

}  // namespace injector::drill
