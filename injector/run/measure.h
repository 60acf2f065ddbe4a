#pragma once
// An expectation judged: the metric measured over its window, compared as
// written. A window in which the checker saw nothing is "unknown", never a
// pass: a drill whose monitoring failed must not look like a healthy one.
// "skipped" is only for a question the run never asked: an rto under
// --no-faults, where no fault was sent to recover from.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "injector/drill/expectation.h"
#include "injector/drill/recorder.h"
#include "injector/drill/traffic.h"
#include "injector/playbook/playbook.h"

namespace injector::run {

enum class Judged { pass, fail, unknown, skipped };
const char* to_string(Judged j);

struct Measured {
  std::optional<double> value;  // the playbook's units: seconds for times, 0..1 for rates
  Judged result = Judged::unknown;
  std::string detail;
};

// Where metrics come from. Live (guards, wait_until) only the recorder and
// the probes; after the run also every payment, for rto and longest_gap.
struct Sources {
  const drill::Recorder* recorder = nullptr;
  const std::vector<drill::SentPayment>* payments = nullptr;
  std::function<std::string(std::int64_t account)> dc_of;
  // A probe's fraction of ok results in a window; nullopt: it saw nothing decisive.
  std::function<std::optional<double>(const std::string& probe, drill::Window)> probe_fraction;
  std::optional<std::int64_t> event_us;  // rto: the activation of the fault it is about
  drill::Window baseline;                // rto: the steady state before the first fault
  playbook::Recovery recovery;           // rto: what counts as recovered
  bool no_faults = false;                // --no-faults: rto is not applicable
};

drill::Comparison comparison_of(const playbook::Expectation& e);
// The window less its grace period `after` from the start (never past its end).
drill::Window after_grace(const playbook::Expectation& e, drill::Window w);
// "<= 3s", "between 0.2 and 0.5", in the playbook's own terms.
std::string describe_comparison(const playbook::Expectation& e);

std::optional<double> measure_value(const playbook::Expectation& e, drill::Window w, const Sources& s,
                                    std::string& why_none);
Measured judge(const playbook::Expectation& e, drill::Window w, const Sources& s);

}  // namespace injector::run
