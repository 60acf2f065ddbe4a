#pragma once
// The step expectations judged after the run, when every payment's fate is
// known: each one's window resolved from the step it names (`during: ID`:
// that fault's active span, or that step's span), and its rto measured from
// the fault it is about.

#include <optional>
#include <string>
#include <vector>

#include "injector/run/drill_faults.h"
#include "injector/run/measure.h"
#include "injector/run/steps.h"

namespace injector::run {

struct JudgedExpectation {
  const playbook::Expectation* expect = nullptr;
  std::string step_id;
  drill::Window window;
  std::optional<std::int64_t> event_us;
  Measured measured;
};

std::vector<JudgedExpectation> judge_steps(const std::vector<StepExpectation>& pending,
                                           const std::vector<StepRecord>& steps,
                                           const std::vector<FaultRecord>& faults, const Sources& sources,
                                           std::int64_t drill_start_us);

}  // namespace injector::run
