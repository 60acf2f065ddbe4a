#include "injector/run/guard_watch.h"

#include "injector/drill/traffic.h"

namespace injector::run {
namespace {

constexpr std::chrono::milliseconds kDefaultWindow{2000};

drill::GuardConfig config_of(const playbook::Guard& g) {
  drill::GuardConfig c;
  c.expect = comparison_of(g.expect);
  c.for_count = g.expect.for_count;
  c.after_us = std::chrono::microseconds(g.expect.after).count();
  return c;
}

}  // namespace

GuardWatch::GuardWatch(const std::vector<playbook::Guard>& guards, Sources sources,
                       std::function<void(const GuardOutcome&)> on_trip)
    : sources_(std::move(sources)), on_trip_(std::move(on_trip)) {
  for (const auto& g : guards) {
    GuardOutcome o;
    o.guard = &g;
    outcomes_.push_back(o);
  }
}

GuardWatch::~GuardWatch() { stop(); }

void GuardWatch::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_ || outcomes_.empty()) return;
  const std::int64_t now = drill::unix_now_us();
  for (const auto& o : outcomes_) states_.emplace_back(config_of(*o.guard), now);
  thread_ = std::thread([this] { loop(); });
}

void GuardWatch::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<GuardOutcome> GuardWatch::outcomes() const {
  std::lock_guard lock(mu_);
  return outcomes_;
}

void GuardWatch::loop() {
  auto next = std::chrono::steady_clock::now() + kPeriod;
  std::unique_lock lock(mu_);
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    next += kPeriod;
    lock.unlock();
    evaluate(drill::unix_now_us());
    lock.lock();
  }
}

void GuardWatch::evaluate(std::int64_t now_us) {
  std::optional<GuardOutcome> first_trip;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < outcomes_.size(); ++i) {
      GuardOutcome& o = outcomes_[i];
      if (o.tripped) continue;
      const auto window_us = std::chrono::microseconds(o.guard->expect.window.value_or(kDefaultWindow)).count();
      std::string why;
      const auto v = measure_value(o.guard->expect, {now_us - window_us, now_us}, sources_, why);
      const auto eval = states_[i].feed(now_us, v);
      ++o.evaluations;
      if (eval == drill::GuardState::Eval::no_data) ++o.no_data;
      if (eval != drill::GuardState::Eval::tripped) continue;
      o.tripped = true;
      o.breach_us = states_[i].trip_time_us();
      o.measured = states_[i].trip_value();
      if (!tripped_.exchange(true)) first_trip = o;
    }
  }
  // Outside the lock: the abort takes a round trip to every daemon.
  if (first_trip && on_trip_) on_trip_(*first_trip);
}

}  // namespace injector::run
