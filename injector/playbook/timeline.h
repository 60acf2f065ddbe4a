#pragma once
// A playbook's planned timeline, for `injector playbook plan`: when each step
// starts, measured from the drill's start, assuming waits and injects take
// exactly their durations. wait_until and run take anything up to their
// timeout, so every offset is a range: earliest (each of them over at once)
// to latest (each at its timeout).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "injector/playbook/playbook.h"

namespace injector::playbook {

struct Offset {
  Millis earliest{0};
  Millis latest{0};  // every wait_until and run at its timeout
  bool exact() const { return earliest == latest; }
  friend bool operator==(const Offset&, const Offset&) = default;
};

struct TimelineStep {
  const Step* step = nullptr;  // into the playbook, which must outlive the timeline
  Offset start, end;
  // An inject's fault: active from `start` until its `for` has passed or an
  // earlier revert step ended it. A background inject's step ends at once.
  std::optional<Offset> fault_end;
  std::vector<TimelineStep> children;  // a parallel group's steps, all starting with it
};

struct Timeline {
  std::vector<TimelineStep> steps;
  Offset steps_end;  // when the last step ends
  Offset end;        // the later of steps_end and the last fault's end: the drill's expected length
};

Timeline plan_timeline(const Playbook& pb);

// "wait", "wait_until", "expect", "inject", "revert", "run", "parallel".
std::string_view step_kind(const Step& s);
// One line for people: "wait 10s", "inject partition isolate hz for 1m (background)",
// "wait_until success_rate(hz) >= 0.99 (<= 30s)", ...
std::string step_summary(const Step& s);
// "rto(hz) <= 3s", "probe.web >= 0.99", "latency_p99 between 0.01s and 0.2s".
std::string expectation_summary(const Expectation& e);
// "0s" for zero, else format_duration.
std::string offset_text(Millis d);
// "+10s", or "+10s..+40s" when the offset is a range.
std::string offset_text(const Offset& o);

}  // namespace injector::playbook
