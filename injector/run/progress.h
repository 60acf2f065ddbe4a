#pragma once
// The live progress display: on a terminal one line redrawn every second
// (elapsed, step, ok/s, fail/s, p99, active faults, guards); otherwise a
// timestamped line every 5 s, for CI logs.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>

#include "injector/drill/recorder.h"

namespace injector::run {

class StepRunner;
class DrillFaults;
class GuardWatch;

struct ProgressState {
  std::string step;  // the step running now
  int active_faults = 0;
  std::string guards;  // "ok", "TRIPPED: name", "-" when there are none
};
ProgressState progress_state(const StepRunner& steps, const DrillFaults* faults, const GuardWatch& guards);

class Progress {
 public:
  // out may be null: nothing is shown.
  Progress(std::ostream* out, bool tty, const drill::Recorder& recorder, std::int64_t started_us,
           std::function<ProgressState()> state);
  ~Progress();  // stops and ends the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The line as shown at now_us.
  std::string line(std::int64_t now_us) const;

 private:
  void loop();

  std::ostream* out_;
  bool tty_;
  const drill::Recorder& recorder_;
  std::int64_t started_us_;
  std::function<ProgressState()> state_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace injector::run
