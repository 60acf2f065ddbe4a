#include "injector/run/progress.h"

#include <cstdio>
#include <ostream>

#include "common/duration.h"
#include "injector/drill/traffic.h"
#include "injector/run/drill_faults.h"
#include "injector/run/guard_watch.h"
#include "injector/run/steps.h"

namespace injector::run {

ProgressState progress_state(const StepRunner& steps, const DrillFaults* faults, const GuardWatch& guards) {
  ProgressState s;
  for (const auto& r : steps.records()) {
    if (r.started_us && !r.ended_us && r.kind != "parallel") s.step = r.summary;
  }
  if (faults) {
    for (const auto& f : faults->records()) s.active_faults += f.state == FaultState::active ? 1 : 0;
  }
  s.guards = "-";
  for (const auto& g : guards.outcomes()) {
    s.guards = g.tripped ? "TRIPPED: " + g.guard->name : (s.guards == "-" ? "ok" : s.guards);
    if (g.tripped) break;
  }
  return s;
}

Progress::Progress(std::ostream* out, bool tty, const drill::Recorder& recorder, std::int64_t started_us,
                   std::function<ProgressState()> state)
    : out_(out), tty_(tty), recorder_(recorder), started_us_(started_us), state_(std::move(state)) {
  if (out_) thread_ = std::thread([this] { loop(); });
}

Progress::~Progress() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  if (tty_) *out_ << "\n" << std::flush;
}

std::string Progress::line(std::int64_t now_us) const {
  const drill::Window last_second{now_us - 1'000'000, now_us};
  const drill::Window last_5s{now_us - 5'000'000, now_us};
  const auto ok = recorder_.value(drill::Metric::ok_count, "", last_second).value_or(0);
  const auto fail = recorder_.value(drill::Metric::fail_count, "", last_second).value_or(0) +
                    recorder_.value(drill::Metric::unknown_count, "", last_second).value_or(0);
  const auto p99 = recorder_.value(drill::Metric::latency_p99, "", last_5s);
  const ProgressState s = state_();
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s  ok/s %4.0f  fail/s %4.0f  p99 %s  faults %d  guards %s  | %s",
                format_duration(std::chrono::milliseconds((now_us - started_us_) / 1000)).c_str(), ok, fail,
                p99 ? (std::to_string(static_cast<int>(*p99)) + "ms").c_str() : "-", s.active_faults,
                s.guards.c_str(), s.step.empty() ? "-" : s.step.c_str());
  return buf;
}

void Progress::loop() {
  const auto period = tty_ ? std::chrono::seconds(1) : std::chrono::seconds(5);
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    const std::string text = line(drill::unix_now_us());
    if (tty_) {
      *out_ << "\r\033[K" << text << std::flush;
    } else {
      *out_ << format_iso8601(std::chrono::system_clock::now()) << " " << text << "\n" << std::flush;
    }
  }
}

}  // namespace injector::run
