#include "injector/run/judge_steps.h"

namespace injector::run {
namespace {

const StepRecord* step_named(const std::vector<StepRecord>& steps, const std::string& id) {
  for (const auto& s : steps) {
    if (!id.empty() && s.step->id == id) return &s;
  }
  return nullptr;
}

const FaultRecord* fault_of_step(const std::vector<FaultRecord>& faults, const std::string& id) {
  for (const auto& f : faults) {
    if (!id.empty() && f.step_id == id) return &f;
  }
  return nullptr;
}

// The span a fault held: activation to confirmed revert (or the revert sent,
// or its planned end, for one that was never confirmed).
drill::Window fault_window(const FaultRecord& f) {
  std::int64_t end = f.revert_confirmed_us ? f.revert_confirmed_us : f.revert_sent_us;
  if (end == 0) end = f.planned_end_us;
  return {f.active_us, end};
}

// The last fault activated before `t`: what an expectation without
// `during` is about.
const FaultRecord* last_fault_before(const std::vector<FaultRecord>& faults, std::int64_t t) {
  const FaultRecord* best = nullptr;
  for (const auto& f : faults) {
    if (f.active_us != 0 && f.active_us <= t && (!best || f.active_us > best->active_us)) best = &f;
  }
  return best;
}

}  // namespace

std::vector<JudgedExpectation> judge_steps(const std::vector<StepExpectation>& pending,
                                           const std::vector<StepRecord>& steps,
                                           const std::vector<FaultRecord>& faults, const Sources& sources,
                                           std::int64_t drill_start_us) {
  std::vector<JudgedExpectation> out;
  for (const auto& p : pending) {
    JudgedExpectation j;
    j.expect = p.expect;
    j.step_id = p.step->id;
    if (p.judged) {  // wait_until: judged live
      j.window = *p.window;
      j.measured = *p.judged;
      out.push_back(std::move(j));
      continue;
    }
    const StepRecord* self = nullptr;
    for (const auto& s : steps) {
      if (s.step == p.step) self = &s;
    }
    const std::int64_t at = self && self->started_us ? self->started_us : drill::unix_now_us();
    j.window = {drill_start_us, at};
    const FaultRecord* about = last_fault_before(faults, at);
    if (!p.during.empty()) {
      if (const FaultRecord* f = fault_of_step(faults, p.during); f && f->active_us) {
        j.window = fault_window(*f);
        about = f;
      } else if (const StepRecord* s = step_named(steps, p.during); s && s->started_us) {
        j.window = {s->started_us, s->ended_us ? s->ended_us : at};
      }
    }
    if (about) j.event_us = about->active_us;
    j.window = after_grace(*p.expect, j.window);
    Sources s = sources;
    s.event_us = j.event_us;
    j.measured = judge(*p.expect, j.window, s);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace injector::run
