#pragma once
// The playbook's steps, run in order (a parallel group's children together),
// each recorded with its actual start and end. Every wait checks the drill's
// stop condition (a guard's abort, Ctrl-C, safety.max_duration) every 50 ms,
// so no step outlives a stop; the steps not reached are recorded "skipped".
// `expect` steps only note their window here: they are judged after the run,
// with every payment, by the report.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "injector/playbook/playbook.h"
#include "injector/run/drill_faults.h"
#include "injector/run/measure.h"

namespace injector::run {

struct StepRecord {
  const playbook::Step* step = nullptr;
  std::string kind, summary;
  std::int64_t started_us = 0, ended_us = 0;
  std::string result = "skipped";  // ok, failed, aborted, skipped
  std::string detail;
};

// A wait_until's verdict (judged live), or an expect step's (judged later).
struct StepExpectation {
  const playbook::Expectation* expect = nullptr;
  const playbook::Step* step = nullptr;
  std::string during;                   // ExpectAction::during
  std::optional<Measured> judged;       // set for wait_until
  std::optional<drill::Window> window;  // set for wait_until
};

struct StepContext {
  DrillFaults* faults = nullptr;  // null with --no-faults: injects are recorded, not sent
  const Sources* live = nullptr;
  std::function<bool()> stopping;
  std::function<void()> on_first_fault;  // starts the guards
  // Runs a `run` action: ok or why not.
  std::function<Measured(const playbook::RunAction&)> run_action;
  // A fault that could not be applied stops the drill: nothing after it would mean what the playbook says.
  std::function<void(const std::string& why)> fail_drill;
  // A `run` step whose action did not succeed: the drill goes on (its later
  // steps and invariants still tell something), and its verdict is a failure.
  std::function<void(const std::string& why)> step_failed;
};

class StepRunner {
 public:
  explicit StepRunner(StepContext ctx) : ctx_(std::move(ctx)) {}
  void run(const std::vector<playbook::Step>& steps);

  std::vector<StepRecord> records() const;
  std::vector<StepExpectation> expectations() const;

 private:
  void run_one(const playbook::Step& step);  // never throws: a step's error fails the drill
  void act(const playbook::Step& step);
  StepRecord& record_of(const playbook::Step& step);
  void finish(const playbook::Step& step, const std::string& result, const std::string& detail = "");
  bool sleep_for(std::chrono::milliseconds d) const;  // false: stopped

  void do_inject(const playbook::Step& step, const playbook::InjectStep& inject);
  void do_wait_until(const playbook::Step& step, const playbook::WaitUntilAction& w);
  void do_revert(const playbook::Step& step, const playbook::RevertAction& r);
  void do_parallel(const playbook::ParallelAction& p);

  StepContext ctx_;
  mutable std::mutex mu_;
  std::vector<StepRecord> records_;  // in the order steps began
  std::map<const playbook::Step*, std::size_t> index_;
  std::vector<StepExpectation> expectations_;
};

}  // namespace injector::run
