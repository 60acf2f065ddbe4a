#include "injector/run/measure.h"

#include <sstream>

#include "injector/drill/failover.h"
#include "injector/drill/probes.h"

namespace injector::run {
namespace {

using playbook::Metric;

std::optional<drill::Metric> recorder_metric(Metric m) {
  switch (m) {
    case Metric::success_rate: return drill::Metric::success_rate;
    case Metric::ok_per_s: return drill::Metric::ok_per_s;
    case Metric::latency_p50: return drill::Metric::latency_p50;
    case Metric::latency_p99: return drill::Metric::latency_p99;
    case Metric::latency_max: return drill::Metric::latency_max;
    case Metric::unknown_count: return drill::Metric::unknown_count;
    default: return std::nullopt;
  }
}

std::optional<double> payment_time_metric(const playbook::Expectation& e, drill::Window w, const Sources& s,
                                          std::string& why) {
  if (!s.payments) {
    why = "measured from every payment, after the run only";
    return std::nullopt;
  }
  if (*e.metric == Metric::longest_gap) {
    const auto gap = drill::longest_gap_s(*s.payments, s.dc_of, e.dc, w);
    if (!gap) why = "no payment attempted" + (e.dc.empty() ? std::string() : " for " + e.dc) + " in the window";
    return gap;
  }
  if (!s.event_us) {
    why = "rto needs a fault: name its step with `during:` or expect after an inject";
    return std::nullopt;
  }
  const auto rto = drill::rto_s(*s.payments, s.dc_of, e.dc, {*s.event_us, w.to_us}, s.baseline, s.recovery);
  if (!rto) why = "never recovered";
  return rto;
}

}  // namespace

const char* to_string(Judged j) {
  switch (j) {
    case Judged::pass: return "pass";
    case Judged::fail: return "fail";
    case Judged::unknown: return "unknown";
    case Judged::skipped: return "skipped";
  }
  return "?";
}

drill::Comparison comparison_of(const playbook::Expectation& e) {
  if (e.between) return {drill::Op::between, e.between->first, e.between->second};
  return {drill::to_op(e.op.value_or(playbook::CompareOp::ge)), e.value, 0};
}

drill::Window after_grace(const playbook::Expectation& e, drill::Window w) {
  const std::int64_t grace_us = std::chrono::microseconds(e.after).count();
  return {std::min(w.from_us + grace_us, w.to_us), w.to_us};
}

std::string describe_comparison(const playbook::Expectation& e) {
  std::ostringstream out;
  const char* unit = e.metric && playbook::is_time_metric(*e.metric) ? "s" : "";
  if (e.between) {
    out << "between " << e.between->first << unit << " and " << e.between->second << unit;
    return out.str();
  }
  static const char* names[] = {"<", "<=", ">", ">=", "==", "!="};
  out << names[static_cast<int>(e.op.value_or(playbook::CompareOp::ge))] << " " << e.value << unit;
  return out.str();
}

std::optional<double> measure_value(const playbook::Expectation& e, drill::Window w, const Sources& s,
                                    std::string& why) {
  if (!e.metric) return std::nullopt;
  if (*e.metric == Metric::probe) {
    const auto v = s.probe_fraction ? s.probe_fraction(e.probe, w) : std::nullopt;
    if (!v) why = "probe " + e.probe + " has no decisive result in the window";
    return v;
  }
  if (*e.metric == Metric::rto || *e.metric == Metric::longest_gap) return payment_time_metric(e, w, s, why);
  const auto v = s.recorder ? s.recorder->value(*recorder_metric(*e.metric), e.dc, w) : std::nullopt;
  if (!v) {
    why = "no payment observed" + (e.dc.empty() ? std::string() : " for " + e.dc) + " in the window";
    return std::nullopt;
  }
  // The recorder keeps latencies in ms; playbooks write times in seconds.
  return playbook::is_time_metric(*e.metric) ? *v / 1000.0 : *v;
}

Measured judge(const playbook::Expectation& e, drill::Window w, const Sources& s) {
  Measured m;
  if (e.metric == Metric::rto && s.no_faults) {
    m.result = Judged::skipped;
    m.detail = "not applicable: --no-faults sent no fault to recover from";
    return m;
  }
  std::string why;
  m.value = measure_value(e, w, s, why);
  if (!m.value) {
    // An rto with its payments and its fault at hand that still has no
    // value never recovered: the failure rto asks about, not a blind spot.
    const bool never_recovered = e.metric == Metric::rto && s.payments && s.event_us;
    m.result = never_recovered ? Judged::fail : Judged::unknown;
    m.detail = why;
    return m;
  }
  m.result = drill::holds(comparison_of(e), *m.value) ? Judged::pass : Judged::fail;
  std::ostringstream out;
  out << "measured " << *m.value << (playbook::is_time_metric(*e.metric) ? "s" : "") << ", expected "
      << describe_comparison(e);
  m.detail = out.str();
  return m;
}

}  // namespace injector::run
