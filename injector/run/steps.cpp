#include "injector/run/steps.h"

#include <thread>
#include <variant>

#include "common/overloaded.h"

#include "common/duration.h"
#include "injector/drill/traffic.h"
#include "injector/playbook/timeline.h"

namespace injector::run {
namespace {

std::string dur(std::chrono::milliseconds d) { return format_duration(d); }

void flatten(const std::vector<playbook::Step>& steps, std::vector<const playbook::Step*>& out) {
  for (const auto& s : steps) {
    out.push_back(&s);
    if (const auto* p = std::get_if<playbook::ParallelAction>(&s.action)) flatten(p->children, out);
  }
}

}  // namespace

void StepRunner::run(const std::vector<playbook::Step>& steps) {
  {
    std::lock_guard lock(mu_);
    if (records_.empty()) {
      std::vector<const playbook::Step*> all;
      flatten(steps, all);
      for (const auto* s : all) {
        index_[s] = records_.size();
        records_.push_back({s, std::string(playbook::step_kind(*s)), playbook::step_summary(*s), 0, 0, "skipped", ""});
      }
    }
  }
  for (const auto& step : steps) {
    if (ctx_.stopping()) break;
    run_one(step);
  }
}

std::vector<StepRecord> StepRunner::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::vector<StepExpectation> StepRunner::expectations() const {
  std::lock_guard lock(mu_);
  return expectations_;
}

StepRecord& StepRunner::record_of(const playbook::Step& step) { return records_[index_.at(&step)]; }

void StepRunner::finish(const playbook::Step& step, const std::string& result, const std::string& detail) {
  std::lock_guard lock(mu_);
  StepRecord& r = record_of(step);
  r.ended_us = drill::unix_now_us();
  r.result = ctx_.stopping() && result == "ok" ? "aborted" : result;
  if (!detail.empty()) r.detail = detail;
}

bool StepRunner::sleep_for(std::chrono::milliseconds d) const {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!ctx_.stopping()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return false;
}

void StepRunner::run_one(const playbook::Step& step) {
  try {
    act(step);
  } catch (const std::exception& e) {
    // A step that cannot go on stops the drill; the rollback still runs.
    finish(step, "failed", e.what());
    ctx_.fail_drill(step.path + ": " + e.what());
  }
}

void StepRunner::act(const playbook::Step& step) {
  {
    std::lock_guard lock(mu_);
    record_of(step).started_us = drill::unix_now_us();
  }
  std::visit(Overloaded{
                 [&](const playbook::WaitAction& w) { finish(step, sleep_for(w.duration) ? "ok" : "aborted"); },
                 [&](const playbook::WaitUntilAction& w) { do_wait_until(step, w); },
                 [&](const playbook::ExpectAction& e) {
                   std::lock_guard lock(mu_);
                   for (const auto& x : e.expectations) expectations_.push_back({&x, &step, e.during, {}, {}});
                   record_of(step).ended_us = drill::unix_now_us();
                   record_of(step).result = "ok";
                   record_of(step).detail = "judged after the run, with every payment";
                 },
                 [&](const playbook::InjectStep& i) { do_inject(step, i); },
                 [&](const playbook::RevertAction& r) { do_revert(step, r); },
                 [&](const playbook::RunAction& r) {
                   const Measured m = ctx_.run_action(r);
                   finish(step, m.result == Judged::pass ? "ok" : "failed", m.detail);
                   if (m.result != Judged::pass) ctx_.step_failed(step.path + ": " + m.detail);
                 },
                 [&](const playbook::ParallelAction& p) {
                   do_parallel(p);
                   finish(step, "ok");
                 },
             },
             step.action);
}

void StepRunner::do_inject(const playbook::Step& step, const playbook::InjectStep& inject) {
  // With --no-faults too: the steady state is checked by the same guards, from
  // the same point of the timeline, as a real drill would be.
  if (ctx_.on_first_fault) ctx_.on_first_fault();
  if (!ctx_.faults) {  // --no-faults: the timeline is kept, nothing is sent
    const bool slept = inject.background || sleep_for(inject.duration);
    finish(step, slept ? "ok" : "aborted", "not sent (--no-faults)");
    return;
  }
  const std::size_t index = ctx_.faults->inject(step, inject);
  const FaultRecord rec = ctx_.faults->records()[index];
  if (rec.state != FaultState::active) {
    finish(step, "failed", rec.error);
    ctx_.fail_drill(step.path + ": " + rec.description + ": " + rec.error);
    return;
  }
  if (!inject.background) ctx_.faults->wait_done(index, ctx_.stopping);
  finish(step, "ok", rec.description + " on " + std::to_string(rec.hosts.size()) + " host(s)");
}

void StepRunner::do_wait_until(const playbook::Step& step, const playbook::WaitUntilAction& w) {
  // `after`: nothing before the grace period counts, so the wait judges from its end.
  const auto started = drill::unix_now_us() + std::chrono::microseconds(w.expect.after).count();
  const auto deadline = std::chrono::steady_clock::now() + w.timeout;
  const auto window_us = std::chrono::microseconds(w.expect.window.value_or(std::chrono::seconds(1))).count();
  Measured m;
  drill::Window win;
  while (!ctx_.stopping()) {
    const auto now = drill::unix_now_us();
    win = {std::min(std::max(started, now - window_us), now), now};
    m = judge(w.expect, win, *ctx_.live);
    if (m.result == Judged::pass || std::chrono::steady_clock::now() >= deadline) break;
    sleep_for(std::chrono::milliseconds(100));
  }
  if (m.result != Judged::pass) m.detail = "not met within " + dur(w.timeout) + ": " + m.detail;
  {
    std::lock_guard lock(mu_);
    expectations_.push_back({&w.expect, &step, "", m, win});
  }
  finish(step, m.result == Judged::pass ? "ok" : "failed", m.detail);
}

void StepRunner::do_revert(const playbook::Step& step, const playbook::RevertAction& r) {
  std::string detail;
  bool ok = true;
  for (const auto& id : r.ids) {
    const auto index = ctx_.faults ? ctx_.faults->find(id) : std::nullopt;
    if (!index) continue;  // --no-faults, or its inject never ran
    if (!ctx_.faults->revert(*index)) {
      ok = false;
      detail += id + ": " + ctx_.faults->records()[*index].error + "; ";
    }
  }
  finish(step, ok ? "ok" : "failed", detail);
}

void StepRunner::do_parallel(const playbook::ParallelAction& p) {
  std::vector<std::thread> threads;
  for (const auto& child : p.children) threads.emplace_back([this, &child] { run_one(child); });
  for (auto& t : threads) t.join();
}

}  // namespace injector::run
