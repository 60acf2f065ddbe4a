#pragma once
// A game-day playbook (playbooks/README.md, format version 1) once read and
// typed: what the runner executes, the planner prints and validate checks.
// Every value here is already resolved (variables substituted, units parsed,
// defaults filled), so no later stage re-reads text.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/cidr.h"
#include "common/impairments.h"
#include "injector/drill/payments_dialect.h"

namespace injector::playbook {

using Millis = std::chrono::milliseconds;
using StringMap = std::map<std::string, std::string>;

struct Safety {
  Millis max_duration = std::chrono::minutes(15);  // the whole drill, hard limit
  Millis lease = std::chrono::seconds(10);         // every fault is held by this lease
  Millis max_clock_offset{50};
  bool allow_foreign_faults = false;  // same as `injector run --force`
};

struct PaymentsWorkload {
  std::string api;  // empty: the inventory's service of kind payments-api
  int rate = 0;     // payments per second, total, open loop
  int accounts = 10000;
  int amount_max_minor = 500;
  std::string currency = "CNY";
  Millis timeout = std::chrono::seconds(1);  // per attempt
  Millis retry_backoff{100};
  Millis give_up_after = std::chrono::seconds(30);  // then the payment stays unknown
  drill::PaymentsDialect dialect;  // request, idempotency header, classify, snapshot, units
};

struct Workload {
  std::optional<PaymentsWorkload> payments;
};

// "Recovered" for RTO: the first `window` at >= `fraction` of the baseline ok rate.
struct Recovery {
  Millis window = std::chrono::seconds(3);
  double fraction = 0.9;
};

// An inclusive range of HTTP status codes ("204" is 204-204).
struct StatusRange {
  int low = 200, high = 299;
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  StringMap headers;
  std::string body;
  StatusRange status;
};

struct HttpProbe {
  HttpCall call;
  std::string body_match;  // regex; empty: not checked
  std::optional<Millis> max_latency;
};

struct CommandProbe {
  std::vector<std::string> argv;  // run without a shell
  int status = 0;
  std::string stdout_match;  // regex; empty: not checked
};

enum class CompareOp { lt, le, gt, ge, eq, ne };

struct PrometheusProbe {
  std::string url, query;
  CompareOp op = CompareOp::ge;
  double value = 0;
};

struct Probe {
  std::string path;  // where it was written ("probes[1]"), for messages
  std::string name;
  Millis interval = std::chrono::seconds(1);
  Millis timeout = std::chrono::seconds(1);
  std::variant<HttpProbe, CommandProbe, PrometheusProbe> check;
};

enum class Metric {
  success_rate, ok_per_s, latency_p50, latency_p99, latency_max, rto, longest_gap, unknown_count, probe
};

// Metrics over the built-in payment workload (all but probe.X) need workload.payments.
inline bool is_payment_metric(Metric m) { return m != Metric::probe; }
// Values of these are times: kept in seconds, written as numbers or durations.
inline bool is_time_metric(Metric m) {
  return m == Metric::latency_p50 || m == Metric::latency_p99 || m == Metric::latency_max || m == Metric::rto ||
         m == Metric::longest_gap;
}

// A comparison of one metric over a window. Fractions (success_rate, probe.X)
// are 0..1; times are seconds.
struct Expectation {
  std::string path;  // "steps[3].expect[0]", for messages
  std::optional<Metric> metric;  // unset only while the playbook is invalid
  std::string probe;  // the probe's name for Metric::probe
  std::string dc;     // empty: every datacenter
  std::optional<CompareOp> op;
  double value = 0;
  std::optional<std::pair<double, double>> between;  // instead of op + value
  std::optional<Millis> window;  // guards: 2s by default; steps: the step's span
  int for_count = 1;             // consecutive breaches
  Millis after{0};               // grace period
};

struct Guard {
  std::string path;
  std::string name;
  Expectation expect;
};

struct PartitionTarget {
  std::string isolate;                           // one datacenter, or
  std::vector<std::vector<std::string>> groups;  // two or more sides
  bool one_way = false;
};

struct LinkTarget {
  std::string from, to;  // datacenters
  bool one_way = false;
};

struct HostTarget {
  std::string host;
  std::vector<Cidr> to;
  std::string device;  // empty: the inventory's device for the host
};

struct InjectStep {
  std::variant<PartitionTarget, LinkTarget, HostTarget> target;
  Impairments impairments;  // a partition is a cut
  StringMap impair;         // as written (CLI flag names without "--"), for reports
  Millis duration{0};       // `for`
  bool background = false;  // true: the step ends once the fault is active
};

struct WaitAction {
  Millis duration{0};
};

struct WaitUntilAction {
  Expectation expect;
  Millis timeout{0};
};

struct ExpectAction {
  std::vector<Expectation> expectations;
  std::string during;  // a step id: the window is its span; empty: the drill so far
};

struct RevertAction {
  std::vector<std::string> ids;  // earlier inject steps
};

struct RunCommand {
  std::vector<std::string> argv;
  int status = 0;
  Millis timeout = std::chrono::seconds(30);
};

struct RunHttp {
  HttpCall call;
  Millis timeout = std::chrono::seconds(10);
};

struct RunAction {
  std::variant<RunCommand, RunHttp> what;
};

struct Step;
struct ParallelAction {
  std::vector<Step> children;  // no nested parallel
};

struct Step {
  std::string path;  // "steps[2]" or "steps[4].parallel[1]"
  std::string id;    // optional, unique over the whole playbook
  std::variant<WaitAction, WaitUntilAction, ExpectAction, InjectStep, RevertAction, RunAction, ParallelAction> action;
};

enum class Invariant { conserved, no_negative, acknowledged_once, no_failed_applied, no_phantom, unknown_resolved };

struct Report {
  std::string dir;  // empty: reports/<name>-<UTC timestamp>
};

struct Playbook {
  int version = 1;
  std::string name;
  std::string description;
  std::string inventory;  // as written; relative to the playbook's directory
  StringMap vars;         // after --var overrides
  Safety safety;
  Workload workload;
  Recovery recovery;
  std::vector<Probe> probes;
  std::vector<Guard> guards;
  std::vector<Step> steps;
  std::vector<Invariant> invariants;  // all six by default when workload.payments exists
  Report report;
};

}  // namespace injector::playbook
