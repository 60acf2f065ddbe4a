#include "injector/report/timeline_svg.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "injector/report/markup.h"
#include "injector/report/timeline_plots.h"

namespace injector::report::timeline {

namespace {

constexpr double kWidth = 1200, kLeft = 80, kRight = 24, kHeader = 60;
constexpr double kTitleH = 40, kThroughputH = 130, kGap = 14, kLatencyH = 90, kAxisH = 38;
constexpr double kPanelH = kTitleH + kThroughputH + kGap + kLatencyH + kAxisH;

// Where seconds are counted from: the run's start, or when a report lacks
// it, the earliest absolute time it has.
std::optional<std::int64_t> origin_of(const Json& report) {
  if (auto s = integer(field(report, "run"), "started_unix_us")) return s;
  std::optional<std::int64_t> first;
  for (const Json& f : list(report, "faults")) {
    for (const char* k : {"requested_unix_us", "active_unix_us"}) {
      if (auto t = integer(f, k); t && (!first || *t < *first)) first = t;
    }
  }
  return first;
}

struct Window {
  std::size_t index;
  double from, to;
  bool confirmed;
  const Json* fault;
};
struct Trip {
  double at;
  std::string name;
};

struct Layout {
  double t_max = 1;
  std::vector<Window> windows;
  std::vector<Trip> trips;
  std::vector<std::string> panels;  // series keys: "" first, then datacenters
};

double seconds_since(std::optional<std::int64_t> origin, std::optional<std::int64_t> t) {
  return origin && t ? static_cast<double>(*t - *origin) / 1e6 : std::nan("");
}

// The time span covers the run, every series row and every fault window.
double span_of(const Json& report, std::optional<std::int64_t> origin) {
  double end = seconds_since(origin, integer(field(report, "run"), "ended_unix_us"));
  double t_max = std::isfinite(end) ? end : 0;
  const Json& series = field(report, "series");
  if (series.is_object()) {
    for (const auto& [dc, rows] : series.items()) {
      if (!rows.is_array()) continue;
      for (const Json& r : rows) t_max = std::max(t_max, number(r, "t_s").value_or(0) + 1);
    }
  }
  for (const Json& f : list(report, "faults")) {
    for (const char* k : {"active_unix_us", "revert_confirmed_unix_us"}) {
      const double t = seconds_since(origin, integer(f, k));
      if (std::isfinite(t)) t_max = std::max(t_max, t);
    }
  }
  return std::min(std::max(t_max, 1.0), 7 * 86400.0);  // a week: a bogus time cannot blow up the drawing
}

Layout layout_of(const Json& report) {
  Layout l;
  const auto origin = origin_of(report);
  l.t_max = span_of(report, origin);
  const Json& faults = list(report, "faults");
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const double from = seconds_since(origin, integer(faults[i], "active_unix_us"));
    if (!std::isfinite(from)) continue;
    const double to = seconds_since(origin, integer(faults[i], "revert_confirmed_unix_us"));
    l.windows.push_back({i, std::max(from, 0.0), std::isfinite(to) ? std::max(to, from) : l.t_max,
                         std::isfinite(to), &faults[i]});
  }
  for (const Json& g : list(report, "guards")) {
    const double at = seconds_since(origin, integer(g, "breach_unix_us"));
    if (flag(g, "tripped") && std::isfinite(at)) l.trips.push_back({at, text(g, "name")});
  }
  l.panels.push_back("");
  std::set<std::string> seen{""};
  for (const Json& dc : list(report, "datacenters")) {
    if (dc.is_string() && seen.insert(dc.get<std::string>()).second) l.panels.push_back(dc.get<std::string>());
  }
  const Json& series = field(report, "series");
  if (series.is_object()) {
    for (const auto& [dc, rows] : series.items()) {
      if (seen.insert(dc).second) l.panels.push_back(dc);
    }
  }
  return l;
}

std::string band(const Plot& top, double bottom, const Window& w, const std::string& panel) {
  const double x0 = top.px(w.from), x1 = std::max(top.px(w.to), x0 + 3);
  std::string label = text(*w.fault, "step_id");
  if (label.empty()) label = text(*w.fault, "operation");
  std::string out = "<rect class=\"fault-band\" data-fault=\"" + std::to_string(w.index) + "\" data-panel=\"" +
                    escape(panel) + "\" x=\"" + c(x0) + "\" y=\"" + c(top.y) + "\" width=\"" + c(x1 - x0) +
                    "\" height=\"" + c(bottom - top.y) + "\" fill=\"" + kFaultBand + "\"><title>" +
                    escape(label + ": " + text(*w.fault, "description")) + "</title></rect>\n";
  out += "<text class=\"fault-label\" x=\"" + c(x0 + 2) + "\" y=\"" + c(top.y - 5) + "\" font-size=\"11\" fill=\"" +
         kFaultLabel + "\">" + escape(label + (w.confirmed ? "" : " (revert not confirmed)")) + "</text>\n";
  return out;
}

std::string trip_line(const Plot& top, double bottom, const Trip& t) {
  const double x = top.px(t.at);
  return "<g class=\"guard-trip\" data-guard=\"" + escape(t.name) + "\"><line x1=\"" + c(x) + "\" y1=\"" +
         c(top.y - 16) + "\" x2=\"" + c(x) + "\" y2=\"" + c(bottom) + "\" stroke=\"" + kGuard +
         "\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/><text x=\"" + c(x + 3) + "\" y=\"" + c(top.y - 18) +
         "\" font-size=\"11\" font-weight=\"bold\" fill=\"" + kGuard + "\">guard " + escape(t.name) +
         " tripped</text></g>\n";
}

double headroom_max(const std::vector<double>& values, double floor) {
  double m = floor;
  for (double v : values) m = std::max(m, v);
  const double step = nice_step(m * 1.15, 4);
  return step * std::ceil(m * 1.15 / step);
}

std::string panel_title(const std::string& dc, const Seconds& s) {
  double ok = 0, fail = 0, unknown = 0;
  for (std::size_t i = 0; i < s.ok.size(); ++i) ok += s.ok[i], fail += s.fail[i], unknown += s.unknown[i];
  return (dc.empty() ? std::string("all datacenters") : "datacenter " + dc) + (s.any_rows ? "  —  ok " +
         format_number(ok, 0) + " · fail " + format_number(fail, 0) + " · unknown " + format_number(unknown, 0) : "");
}

std::string panel(const Json& report, const Layout& l, const std::string& dc, double y0) {
  const Seconds s = seconds_of(field(field(report, "series"), dc), l.t_max);
  const double plot_w = kWidth - kLeft - kRight;
  Plot tp{kLeft, y0 + kTitleH, plot_w, kThroughputH, l.t_max};
  std::vector<double> totals(s.ok.size());
  for (std::size_t i = 0; i < totals.size(); ++i) totals[i] = s.ok[i] + s.fail[i] + s.unknown[i];
  tp.v_max = headroom_max(totals, 1);
  Plot lp{kLeft, tp.y + kThroughputH + kGap, plot_w, kLatencyH, l.t_max};
  std::vector<double> lat;
  for (const auto& v : s.p99) if (v) lat.push_back(*v);
  for (const auto& v : s.p50) if (v) lat.push_back(*v);
  lp.v_max = headroom_max(lat, 1);
  const double bottom = lp.y + lp.h;

  std::string out = "<g class=\"panel\" data-panel=\"" + escape(dc) + "\">\n<text x=\"" + c(kLeft) + "\" y=\"" +
                    c(y0 + 14) + "\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">" +
                    escape(panel_title(dc, s)) + "</text>\n";
  const std::string per = s.bucket_s > 1 ? " (" + format_number(s.bucket_s, 0) + " s columns)" : "";
  out += value_axis(tp, "payments/s" + per) + value_axis(lp, "latency ms" + per);
  for (const Window& w : l.windows) out += band(tp, bottom, w, dc);  // under the data, over the grid
  out += throughput_plot(tp, s) + latency_plot(lp, s) + time_axis(lp);
  for (const Trip& t : l.trips) out += trip_line(tp, bottom, t);
  return out + "</g>\n";
}

std::string legend(double y) {
  struct Key { const char* colour; const char* label; bool line; };
  const Key keys[] = {{kOk, "ok", false}, {kFail, "fail", false}, {kUnknown, "unknown (outcome not known)", false},
                      {kP50, "latency p50", true}, {kP99, "latency p99", true}, {kGuard, "guard trip", true}};
  std::string out = "<g class=\"legend\" font-size=\"12\" fill=\"#333\">\n";
  double x = kLeft;
  for (const Key& k : keys) {
    out += k.line ? "<line x1=\"" + c(x) + "\" y1=\"" + c(y - 4) + "\" x2=\"" + c(x + 14) + "\" y2=\"" + c(y - 4) +
                        "\" stroke=\"" + k.colour + "\" stroke-width=\"2\"/>"
                  : "<rect x=\"" + c(x) + "\" y=\"" + c(y - 10) + "\" width=\"12\" height=\"12\" fill=\"" + k.colour +
                        "\"/>";
    out += "<text x=\"" + c(x + 18) + "\" y=\"" + c(y) + "\">" + k.label + "</text>\n";
    x += 40 + 6.5 * static_cast<double>(std::string_view(k.label).size());
  }
  out += "<text x=\"" + c(x) + "\" y=\"" + c(y) + "\">shaded: fault active (until its revert is confirmed)</text>\n";
  return out + "</g>\n";
}

}  // namespace

}  // namespace injector::report::timeline

namespace injector::report {

std::string render_timeline_svg(const Json& report) {
  using namespace timeline;
  const Layout l = layout_of(report);
  const double height = kHeader + kPanelH * static_cast<double>(l.panels.size()) + 8;
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"" + c(kWidth) +
                    "\" height=\"" + c(height) + "\" viewBox=\"0 0 " + c(kWidth) + " " + c(height) +
                    "\" font-family=\"sans-serif\">\n";
  out += "<rect x=\"0\" y=\"0\" width=\"" + c(kWidth) + "\" height=\"" + c(height) + "\" fill=\"#ffffff\"/>\n";
  out += "<text x=\"" + c(kLeft) + "\" y=\"24\" font-size=\"16\" font-weight=\"bold\" fill=\"#111\">Timeline: " +
         escape(text(field(report, "playbook"), "name")) + "</text>\n";
  out += legend(46);
  for (std::size_t i = 0; i < l.panels.size(); ++i) {
    out += panel(report, l, l.panels[i], kHeader + kPanelH * static_cast<double>(i));
  }
  return out + "</svg>\n";
}

}  // namespace injector::report
