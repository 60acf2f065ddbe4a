#pragma once
// The drill's probes of a user's own services (issue 14): HTTP, a command,
// a Prometheus instant query. Each check is ok, fail or unknown, the same
// classes as a payment: "fail" is what the system under test did (a refused
// connection, a wrong status, a non-zero exit), "unknown" is when the check
// could not observe it (no answer in time, a monitoring server that is down
// or answers nothing usable). An unknown is never counted as a pass.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "injector/drill/expectation.h"
#include "injector/drill/traffic.h"
#include "injector/playbook/playbook.h"

namespace injector::drill {

struct ProbeResult {
  std::string probe;          // the probe's name
  std::int64_t start_us = 0;  // wall clock, Unix microseconds (as Attempt)
  std::int64_t end_us = 0;
  Observed observed = Observed::kUnknown;
  std::string detail;  // one line for people: why it was ok, fail or unknown
  // What was measured, when there was something: the answer's latency in
  // seconds (HTTP), the exit status (command), the sample (Prometheus).
  std::optional<double> value;
};

// One check. Never throws: a failure of the target is an observation, and a
// failure of the check itself (a bad regex, an out-of-memory) is unknown.
// Blocks for at most about the probe's timeout (HTTP: connect and read each
// get the timeout, so a connect that takes most of it can add to the read's).
// - HTTP: one request on a new connection, redirects not followed; ok when
//   the status is in range, the body matches and the latency is within
//   max_latency; a refused or reset connection or a TLS failure is fail; no
//   answer within the timeout is unknown.
// - command: argv without a shell, stdin and stderr /dev/null, stdout kept
//   up to 64 KiB; killed (its process group) at the timeout: unknown; a
//   program that cannot be run is fail.
// - Prometheus: GET {url}/api/v1/query; one sample (vector) or a scalar is
//   compared; a server down, slow, erring or any other answer is unknown.
// Regexes (body_match, stdout_match) are PCRE2, searched in the first 64 KiB.
ProbeResult run_probe_once(const playbook::Probe& probe);

// Why `pattern` cannot be a probe's body_match or stdout_match (PCRE2
// syntax), or nullopt when it can: for the playbook's validation, so that a
// pattern it accepts is one the probes can run.
std::optional<std::string> regex_problem(const std::string& pattern);

// The playbook's comparison operators as the drill's (for holds()).
Op to_op(playbook::CompareOp op);

struct ProbeCounts {
  std::int64_t ok = 0, fail = 0, unknown = 0;
};

// Runs every probe on its own thread, each every `interval` start to start
// (on a fixed grid from start(): a slow check does not push the later ones
// back, and a check slower than its interval skips the ticks it overran
// instead of running them back to back). Accessors are thread-safe.
class ProbeRunner {
 public:
  // Called on the probe's thread after each result is stored, so possibly
  // on several threads at once: keep it short, it delays that probe's next
  // check.
  using OnResult = std::function<void(const ProbeResult&)>;

  explicit ProbeRunner(std::vector<playbook::Probe> probes, OnResult on_result = {});
  ~ProbeRunner();  // stop()
  ProbeRunner(const ProbeRunner&) = delete;
  ProbeRunner& operator=(const ProbeRunner&) = delete;

  // Starts the threads; each checks at once, then on its grid. Once only:
  // throws std::logic_error the second time.
  void start();
  // Ends every thread; returns when each one's check in flight (if any) has
  // ended, so within about the longest probe timeout, never a whole interval.
  // A result that ends after stop() was called is still stored. Idempotent.
  void stop();

  // Every result so far, ordered by start time.
  std::vector<ProbeResult> results() const;
  // The results of probe `name` that ended in [from_us, to_us).
  ProbeCounts counts(const std::string& name, std::int64_t from_us, std::int64_t to_us) const;
  // ok / (ok + fail) over those results; nullopt when there is none of
  // either (only unknowns, or nothing): the caller's verdict is then unknown.
  std::optional<double> success_fraction(const std::string& name, std::int64_t from_us, std::int64_t to_us) const;

 private:
  void loop(const playbook::Probe& probe);
  void store(ProbeResult r);

  std::vector<playbook::Probe> probes_;
  OnResult on_result_;
  std::vector<std::thread> threads_;
  bool started_ = false;

  std::mutex stop_mutex_;  // guards stopping_ for the threads' timed waits
  std::condition_variable stop_cv_;
  bool stopping_ = false;

  mutable std::mutex results_mutex_;
  std::vector<ProbeResult> results_;  // in the order they ended
};

}  // namespace injector::drill
