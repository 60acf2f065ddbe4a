#include <algorithm>
#include <stdexcept>

#include "injector/drill/probes.h"

namespace injector::drill {

ProbeRunner::ProbeRunner(std::vector<playbook::Probe> probes, OnResult on_result)
    : probes_(std::move(probes)), on_result_(std::move(on_result)) {}

ProbeRunner::~ProbeRunner() { stop(); }

void ProbeRunner::start() {
  if (started_) throw std::logic_error("ProbeRunner::start called twice");
  started_ = true;
  threads_.reserve(probes_.size());
  for (const auto& p : probes_) threads_.emplace_back([this, &p] { loop(p); });
}

void ProbeRunner::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ProbeRunner::loop(const playbook::Probe& probe) {
  using Clock = std::chrono::steady_clock;
  // A zero interval would spin; the playbook's validation refuses it anyway.
  const Clock::duration interval = std::max<Clock::duration>(probe.interval, std::chrono::milliseconds(1));
  auto next = Clock::now();
  for (;;) {
    {
      std::unique_lock lock(stop_mutex_);
      if (stop_cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    store(run_probe_once(probe));
    // The next tick of the grid that is still ahead: an overrun skips ticks
    // rather than firing the missed ones back to back.
    next += interval;
    const auto now = Clock::now();
    if (next <= now) next += ((now - next) / interval + 1) * interval;
  }
}

void ProbeRunner::store(ProbeResult r) {
  {
    std::lock_guard lock(results_mutex_);
    results_.push_back(r);
  }
  if (on_result_) on_result_(r);
}

std::vector<ProbeResult> ProbeRunner::results() const {
  std::vector<ProbeResult> out;
  {
    std::lock_guard lock(results_mutex_);
    out = results_;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ProbeResult& a, const ProbeResult& b) { return a.start_us < b.start_us; });
  return out;
}

ProbeCounts ProbeRunner::counts(const std::string& name, std::int64_t from_us, std::int64_t to_us) const {
  ProbeCounts c;
  std::lock_guard lock(results_mutex_);
  for (const auto& r : results_) {
    if (r.probe != name || r.end_us < from_us || r.end_us >= to_us) continue;
    switch (r.observed) {
      case Observed::kOk: ++c.ok; break;
      case Observed::kFail: ++c.fail; break;
      case Observed::kUnknown: ++c.unknown; break;
    }
  }
  return c;
}

std::optional<double> ProbeRunner::success_fraction(const std::string& name, std::int64_t from_us,
                                                    std::int64_t to_us) const {
  const ProbeCounts c = counts(name, from_us, to_us);
  if (c.ok + c.fail == 0) return std::nullopt;
  return static_cast<double>(c.ok) / static_cast<double>(c.ok + c.fail);
}

}  // namespace injector::drill
