#pragma once
// The drawing pieces of timeline.svg (internal to injector/report): one
// panel's throughput and latency plots and their axes, as SVG fragments.

#include <optional>
#include <string>
#include <vector>

#include "injector/report/fields.h"

namespace injector::report::timeline {

// Colours shared by the plots, the legend and report.html's key. The fault
// band's fill is used for nothing else, so a screenshot test can count bands
// by that colour.
inline constexpr const char* kOk = "#3a9d5d";
inline constexpr const char* kFail = "#d64541";
inline constexpr const char* kUnknown = "#f2a541";
inline constexpr const char* kP50 = "#2f6fb0";
inline constexpr const char* kP99 = "#7b3fa0";
inline constexpr const char* kFaultBand = "#f7d6e0";
inline constexpr const char* kFaultLabel = "#a0204a";
inline constexpr const char* kGuard = "#111111";

// A plot's area in SVG units and its scales: t in seconds since the run's start.
struct Plot {
  double x, y, w, h;
  double t_max;      // right edge, seconds
  double v_max = 1;  // top edge, in the plot's unit
  double px(double t) const;
  double py(double v) const;
};

// One datacenter's rows from report.json's series, in columns of bucket_s
// seconds: one second each, up to kMaxColumns columns; a longer run's
// columns hold several seconds (the mean rate, the worst quantiles), so the
// drawing's size stays bounded however long the run.
inline constexpr double kMaxColumns = 1800;
struct Seconds {
  double bucket_s = 1;
  std::vector<double> ok, fail, unknown;  // per second
  std::vector<std::optional<double>> p50, p99;
  bool any_rows = false;
};
Seconds seconds_of(const Json& rows, double t_max);

// Coordinates in SVG text: one decimal is plenty at this size.
std::string c(double v);

// A round step so that `span` takes about `parts` of them (1, 2, 5 x 10^k).
double nice_step(double span, int parts);

std::string throughput_plot(const Plot& p, const Seconds& s);
std::string latency_plot(const Plot& p, const Seconds& s);
// Ticks and labels in seconds along the bottom of p.
std::string time_axis(const Plot& p);
// Horizontal grid and tick labels on the left of p; unit goes on the axis title.
std::string value_axis(const Plot& p, const std::string& title);

}  // namespace injector::report::timeline
