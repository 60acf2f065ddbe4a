#include "injector/drill/failover.h"

#include <algorithm>
#include <climits>
#include <set>

#include "injector/drill/histogram.h"

namespace injector::drill {

const char* to_string(Edge e) { return e == Edge::start ? "start" : "end"; }

namespace {

PaymentFilter payers_of(const DcOf& dc_of, const std::string& dc) {
  if (dc.empty()) return [](const SentPayment&) { return true; };
  if (!dc_of) return [](const SentPayment&) { return false; };  // no payer has a known home
  return [&dc_of, dc](const SentPayment& p) { return dc_of(p.request.from) == dc; };
}

struct Tried {
  std::int64_t start_us, end_us;
  bool ok;
};

// The attempts of the selected payments begun in [from, to), by start: as
// the recorder counts them, a payment's first attempt and its
// acknowledgement, not the failed retries in between (a stuck payment
// retried ten times a second would otherwise keep a recovered datacenter
// below the bar for as long as the backlog drains).
std::vector<Tried> begun_in(const std::vector<SentPayment>& payments, const PaymentFilter& which, Window w) {
  std::vector<Tried> out;
  for (const SentPayment& p : payments) {
    if (!which(p)) continue;
    for (const Attempt& a : p.attempts) {
      if (a.start_us < w.from_us || a.start_us >= w.to_us) continue;
      if (a.observed != Observed::kOk && &a != &p.attempts.front()) continue;
      out.push_back({a.start_us, a.end_us, a.observed == Observed::kOk});
    }
  }
  std::sort(out.begin(), out.end(), [](const Tried& a, const Tried& b) { return a.start_us < b.start_us; });
  return out;
}

std::optional<double> success_rate(const std::vector<Tried>& tried) {
  if (tried.empty()) return std::nullopt;
  const auto ok = std::count_if(tried.begin(), tried.end(), [](const Tried& t) { return t.ok; });
  return static_cast<double>(ok) / static_cast<double>(tried.size());
}

std::optional<std::int64_t> detection_us(const std::vector<Tried>& in_span, std::int64_t t_us) {
  // in_span is sorted by start: the first failure is the earliest begun.
  for (const Tried& a : in_span) {
    if (!a.ok) return a.start_us - t_us;
  }
  return std::nullopt;
}

// The first window [s, s + window) that qualifies (see the header), with s
// an acknowledgement; in_span sorted by start.
std::optional<std::int64_t> recovered_at(const std::vector<Tried>& in_span, Window span, std::int64_t window_us,
                                         double needed_rate) {
  std::vector<std::int64_t> ok_before(in_span.size() + 1, 0);  // ok_before[i]: oks among the first i
  std::vector<std::int64_t> acks;
  for (std::size_t i = 0; i < in_span.size(); ++i) {
    ok_before[i + 1] = ok_before[i] + (in_span[i].ok ? 1 : 0);
    if (in_span[i].ok) acks.push_back(in_span[i].end_us);
  }
  std::sort(acks.begin(), acks.end());
  auto first_begun_at = [&](std::int64_t at) {
    return std::lower_bound(in_span.begin(), in_span.end(), at,
                            [](const Tried& a, std::int64_t v) { return a.start_us < v; }) -
           in_span.begin();
  };
  for (const std::int64_t s : acks) {
    if (s + window_us > span.to_us) break;
    const auto lo = first_begun_at(s), hi = first_begun_at(s + window_us);
    const auto all = hi - lo, ok = ok_before[hi] - ok_before[lo];
    // The tolerance keeps an exact 9 of 10 at 0.9 from failing on rounding.
    if (all > 0 && static_cast<double>(ok) + 1e-9 >= needed_rate * static_cast<double>(all)) return s;
  }
  return std::nullopt;
}

std::optional<std::int64_t> rto_us(const std::vector<SentPayment>& payments, const PaymentFilter& which,
                                   Window span, Window baseline, const playbook::Recovery& recovery) {
  const std::vector<Tried> in_span = begun_in(payments, which, span);
  if (!detection_us(in_span, span.from_us)) return 0;
  const std::optional<double> base = success_rate(begun_in(payments, which, baseline));
  if (!base) return std::nullopt;
  const std::int64_t window_us = std::chrono::microseconds(recovery.window).count();
  const auto at = recovered_at(in_span, span, window_us, recovery.fraction * *base);
  if (!at) return std::nullopt;
  return *at - span.from_us;
}

std::optional<std::int64_t> gap_us(const std::vector<SentPayment>& payments, const PaymentFilter& which, Window w,
                                   std::optional<Interruption>* where = nullptr) {
  const std::optional<Interruption> gap = longest_interruption(payments, which, w.from_us, w.to_us);
  if (where) *where = gap;
  if (gap) return gap->length_us();
  if (begun_in(payments, which, w).empty()) return std::nullopt;
  return 0;
}

LatencyQuantiles latency_in(const std::vector<SentPayment>& payments, const PaymentFilter& which,
                            std::optional<Window> w) {
  if (!w) return {};
  Histogram h;
  for (const SentPayment& p : payments) {
    if (!which(p)) continue;
    for (const Attempt& a : p.attempts) {
      if (a.observed == Observed::kOk && a.end_us >= w->from_us && a.end_us < w->to_us) h.record(a.end_us - p.due_us);
    }
  }
  if (h.empty()) return {};
  return {static_cast<double>(h.quantile(0.5)) / 1000.0, static_cast<double>(h.quantile(0.99)) / 1000.0};
}

struct EdgeAt {
  const FaultSpan* fault;
  Edge edge;
  std::int64_t at_us;
};

std::vector<EdgeAt> edges_of(const std::vector<FaultSpan>& faults) {
  std::vector<EdgeAt> edges;
  for (const FaultSpan& f : faults) {
    edges.push_back({&f, Edge::start, f.active_us});
    if (f.healed_us) edges.push_back({&f, Edge::end, *f.healed_us});
  }
  std::stable_sort(edges.begin(), edges.end(), [](const EdgeAt& a, const EdgeAt& b) {
    return a.at_us != b.at_us ? a.at_us < b.at_us : a.edge == Edge::start && b.edge == Edge::end;
  });
  return edges;
}

// The window from t to the next edge strictly after it, or the run's end.
Window until_next_edge(const std::vector<EdgeAt>& edges, std::int64_t t_us, std::int64_t run_end_us) {
  std::int64_t to = run_end_us;
  for (const EdgeAt& e : edges) {
    if (e.at_us > t_us) {
      to = std::min(to, e.at_us);
      break;
    }
  }
  return {t_us, std::max(t_us, to)};
}

std::set<std::string> datacenters_of(const std::vector<SentPayment>& payments, const DcOf& dc_of) {
  std::set<std::string> dcs = {""};
  for (const SentPayment& p : payments) {
    if (!p.attempts.empty() && dc_of) dcs.insert(dc_of(p.request.from));
  }
  return dcs;
}

DcFigures figures_for(const std::vector<SentPayment>& payments, const PaymentFilter& which, Window span,
                      std::optional<Window> after, const FailoverInput& in) {
  DcFigures f;
  f.detection_us = detection_us(begun_in(payments, which, span), span.from_us);
  f.rto_us = rto_us(payments, which, span, in.baseline, in.recovery);
  f.longest_gap_us = gap_us(payments, which, span, &f.gap);
  f.before = latency_in(payments, which, in.baseline);
  f.during = latency_in(payments, which, span);
  f.after = latency_in(payments, which, after);
  return f;
}

}  // namespace

Window baseline_before(std::int64_t run_start_us, const std::vector<FaultSpan>& faults) {
  std::int64_t first = INT64_MAX;
  for (const FaultSpan& f : faults) first = std::min(first, f.active_us);
  return {run_start_us, faults.empty() ? run_start_us : std::max(run_start_us, first)};
}

std::vector<EdgeFigures> failover_figures(const std::vector<SentPayment>& payments, const DcOf& dc_of,
                                          const std::vector<FaultSpan>& faults, const FailoverInput& in) {
  const std::vector<EdgeAt> edges = edges_of(faults);
  const std::set<std::string> dcs = datacenters_of(payments, dc_of);
  std::vector<EdgeFigures> out;
  for (const EdgeAt& e : edges) {
    EdgeFigures ef{e.fault->fault, e.edge, e.at_us, until_next_edge(edges, e.at_us, in.run_end_us), {}};
    std::optional<Window> after;
    if (e.fault->healed_us) after = until_next_edge(edges, *e.fault->healed_us, in.run_end_us);
    for (const std::string& dc : dcs) ef.per_dc[dc] = figures_for(payments, payers_of(dc_of, dc), ef.span, after, in);
    out.push_back(std::move(ef));
  }
  return out;
}

const EdgeFigures* longest_gap_edge(const std::vector<EdgeFigures>& figures, const std::string& dc) {
  const EdgeFigures* best = nullptr;
  std::int64_t longest = 0;
  for (const EdgeFigures& e : figures) {
    const auto it = e.per_dc.find(dc);
    if (it == e.per_dc.end() || !it->second.longest_gap_us || *it->second.longest_gap_us <= 0) continue;
    if (!best || *it->second.longest_gap_us > longest) {
      best = &e;
      longest = *it->second.longest_gap_us;
    }
  }
  return best;
}

std::optional<double> rto_s(const std::vector<SentPayment>& payments, const DcOf& dc_of, const std::string& dc,
                            Window span, Window baseline, const playbook::Recovery& recovery) {
  const auto us = rto_us(payments, payers_of(dc_of, dc), span, baseline, recovery);
  if (!us) return std::nullopt;
  return static_cast<double>(*us) / 1e6;
}

std::optional<double> longest_gap_s(const std::vector<SentPayment>& payments, const DcOf& dc_of,
                                    const std::string& dc, Window window) {
  const auto us = gap_us(payments, payers_of(dc_of, dc), window);
  if (!us) return std::nullopt;
  return static_cast<double>(*us) / 1e6;
}

namespace {

nlohmann::json ms_or_null(std::optional<std::int64_t> us) {
  if (!us) return nullptr;
  return static_cast<double>(*us) / 1000.0;
}

nlohmann::json ms_or_null(std::optional<double> ms) { return ms ? nlohmann::json(*ms) : nlohmann::json(nullptr); }

nlohmann::json dc_json(const DcFigures& f) {
  return {{"detection_ms", ms_or_null(f.detection_us)},
          {"rto_ms", ms_or_null(f.rto_us)},
          {"longest_gap_ms", ms_or_null(f.longest_gap_us)},
          {"longest_gap_from_unix_us", f.gap ? nlohmann::json(f.gap->start_us) : nlohmann::json(nullptr)},
          {"p50_before_ms", ms_or_null(f.before.p50_ms)},
          {"p99_before_ms", ms_or_null(f.before.p99_ms)},
          {"p50_during_ms", ms_or_null(f.during.p50_ms)},
          {"p99_during_ms", ms_or_null(f.during.p99_ms)},
          {"p50_after_ms", ms_or_null(f.after.p50_ms)},
          {"p99_after_ms", ms_or_null(f.after.p99_ms)}};
}

}  // namespace

nlohmann::json to_json(const std::vector<EdgeFigures>& figures) {
  nlohmann::json out = nlohmann::json::array();
  for (const EdgeFigures& e : figures) {
    nlohmann::json per_dc = nlohmann::json::object();
    for (const auto& [dc, f] : e.per_dc) per_dc[dc] = dc_json(f);
    out.push_back({{"fault", e.fault},
                   {"edge", to_string(e.edge)},
                   {"at_unix_us", e.at_us},
                   {"until_unix_us", e.span.to_us},
                   {"per_dc", per_dc}});
  }
  return out;
}

}  // namespace injector::drill
