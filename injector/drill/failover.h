#pragma once
// Failover figures (issue 14, the checker's item 4): for every edge of every
// fault (its activation, and its heal, which can cause an outage of its own),
// per datacenter of payers and overall (""), how soon users were hit
// (detection), how long until payments flowed again (RTO), the longest gap
// and latency before / during / after. Computed after the run from the
// users' attempts; all times are Unix µs on the daemons' wall clock.
//
// Definitions (each edge at time t owns the span [t, next edge of any fault,
// or the run's end), so the spans of all edges partition the faulted time):
// - detection: the start of the earliest attempt begun in the span whose
//   observation is not ok (fail or unknown), minus t. nullopt: none failed.
// - rto: candidate windows start at each acknowledgement (the end of an ok
//   attempt begun at or after t) and last recovery.window; one qualifies when
//   it ends inside the span and the success rate of the attempts begun in it
//   (ok / all, by their observation) is >= recovery.fraction x the baseline's
//   success rate. rto = the first qualifying window's start - t. 0 when no
//   attempt in the span failed; nullopt when none qualifies (never recovered
//   in the span) or the baseline holds no attempt.
//   A success rate, not ok per second: a datacenter's payers are drawn at
//   random, so its ok/s is binomially noisy (about 100 +- 8 in 3 s at 33/s,
//   and 90% of it is crossed by chance one window in ten), and the burst of
//   retried payments acknowledged at a recovery inflates ok/s enough to hide
//   a second dip inside the window; their failed retries lower a success rate.
// - longest gap: longest_interruption() over the attempts begun in the span;
//   0 when none failed, nullopt when the span holds no attempt.
// - latency (ms, of ok attempts from their payment's due time, by the
//   attempt's end, as the Recorder counts them): before = the baseline
//   window, during = the edge's span, after = the fault's heal to the next
//   edge (or the run's end); for an end edge, during and after coincide.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "injector/drill/interruption.h"
#include "injector/drill/recorder.h"
#include "injector/drill/traffic.h"
#include "injector/playbook/playbook.h"

namespace injector::drill {

// The payer's home datacenter of an account ("" when unknown).
using DcOf = std::function<std::string(std::int64_t account)>;

// One fault of the drill as the daemons reported it.
struct FaultSpan {
  std::string fault;                      // the inject step's id
  std::int64_t active_us = 0;             // the latest host activation: the fault is whole
  std::optional<std::int64_t> healed_us;  // its revert confirmed; nullopt: not healed in the run
};

enum class Edge { start, end };
const char* to_string(Edge e);

struct LatencyQuantiles {
  std::optional<double> p50_ms, p99_ms;  // nullopt: no ok in the window
};

struct DcFigures {
  std::optional<std::int64_t> detection_us;
  std::optional<std::int64_t> rto_us;
  std::optional<std::int64_t> longest_gap_us;
  std::optional<Interruption> gap;  // where the longest gap was (none when no attempt failed)
  LatencyQuantiles before, during, after;
};

struct EdgeFigures {
  std::string fault;
  Edge edge = Edge::start;
  std::int64_t at_us = 0;
  Window span;                              // [at, next edge or the run's end); no rounding here
  std::map<std::string, DcFigures> per_dc;  // "" = every datacenter together
};

struct FailoverInput {
  std::int64_t run_end_us = 0;    // the span of the last edge ends here
  Window baseline;                // steady state, e.g. baseline_before()
  playbook::Recovery recovery;
};

// [run_start, the first activation) (or [run_start, run_start) with no fault).
Window baseline_before(std::int64_t run_start_us, const std::vector<FaultSpan>& faults);

// The figures of every edge in time order (a start before an end at the same
// time), per datacenter of the payers that made attempts, and "".
std::vector<EdgeFigures> failover_figures(const std::vector<SentPayment>& payments, const DcOf& dc_of,
                                          const std::vector<FaultSpan>& faults, const FailoverInput& in);

// The edge whose longest gap for dc is the longest (the first of equals);
// nullptr when no edge has a gap for it.
const EdgeFigures* longest_gap_edge(const std::vector<EdgeFigures>& figures, const std::string& dc);

// The metrics of expectations, in seconds; dc "" = every datacenter.
// rto_s: the event is span.from_us; see rto above.
std::optional<double> rto_s(const std::vector<SentPayment>& payments, const DcOf& dc_of, const std::string& dc,
                            Window span, Window baseline, const playbook::Recovery& recovery);
// nullopt: no attempt of dc begun in the window; 0: none failed.
std::optional<double> longest_gap_s(const std::vector<SentPayment>& payments, const DcOf& dc_of,
                                    const std::string& dc, Window window);

// report.json's "failover" array (REPORT-SPEC.md): unknown values are null.
// Beside the contract's keys: "until_unix_us" (the edge's span), p50s next
// to the p99s, and "longest_gap_from_unix_us" (where the gap began).
nlohmann::json to_json(const std::vector<EdgeFigures>& figures);

}  // namespace injector::drill
