#include "injector/report/timeline_plots.h"

#include <algorithm>
#include <cmath>

#include "injector/report/markup.h"

namespace injector::report::timeline {

double Plot::px(double t) const { return x + w * std::clamp(t / t_max, 0.0, 1.0); }
double Plot::py(double v) const { return y + h - h * std::clamp(v / v_max, 0.0, 1.0); }

std::string c(double v) { return format_number(v, 1); }

double nice_step(double span, int parts) {
  const double raw = span / std::max(parts, 1);
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

namespace {

void keep_worst(std::optional<double>& slot, std::optional<double> v) {
  if (v && (!slot || *v > *slot)) slot = v;
}

}  // namespace

Seconds seconds_of(const Json& rows, double t_max) {
  Seconds s;
  s.bucket_s = std::max(1.0, std::ceil(t_max / kMaxColumns));
  const auto n = static_cast<std::size_t>(std::max(1.0, std::ceil(t_max / s.bucket_s)));
  s.ok.assign(n, 0), s.fail.assign(n, 0), s.unknown.assign(n, 0), s.p50.assign(n, {}), s.p99.assign(n, {});
  if (!rows.is_array()) return s;
  for (const Json& r : rows) {
    const auto t = number(r, "t_s");
    if (!t || *t < 0 || *t >= t_max) continue;
    const auto i = std::min(n - 1, static_cast<std::size_t>(*t / s.bucket_s));
    s.any_rows = true;
    s.ok[i] += number(r, "ok").value_or(0) / s.bucket_s;
    s.fail[i] += number(r, "fail").value_or(0) / s.bucket_s;
    s.unknown[i] += number(r, "unknown").value_or(0) / s.bucket_s;
    keep_worst(s.p50[i], number(r, "p50_ms"));
    keep_worst(s.p99[i], number(r, "p99_ms"));
  }
  return s;
}

namespace {

// The area between two per-second step functions, as one path.
std::string step_area(const Plot& p, double bucket, const std::vector<double>& lower,
                      const std::vector<double>& upper, const char* fill, const char* cls) {
  std::string d;
  for (std::size_t i = 0; i < upper.size(); ++i) {
    const double t = static_cast<double>(i) * bucket;
    d += (i == 0 ? "M" : "L") + c(p.px(t)) + "," + c(p.py(upper[i])) + "L" + c(p.px(t + bucket)) + "," +
         c(p.py(upper[i]));
  }
  for (std::size_t i = lower.size(); i-- > 0;) {
    const double t = static_cast<double>(i) * bucket;
    d += "L" + c(p.px(t + bucket)) + "," + c(p.py(lower[i])) + "L" + c(p.px(t)) + "," + c(p.py(lower[i]));
  }
  return "<path class=\"" + std::string(cls) + "\" fill=\"" + fill + "\" d=\"" + d + "Z\"/>\n";
}

// A line through the known values at mid-second; a null breaks it, and a
// value alone between nulls is a dot.
std::string quantile_line(const Plot& p, double bucket, const std::vector<std::optional<double>>& v,
                          const char* colour, const char* cls) {
  std::string d, dots;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i]) continue;
    const bool prev = i > 0 && v[i - 1], next = i + 1 < v.size() && v[i + 1];
    const double x = p.px((static_cast<double>(i) + 0.5) * bucket), y = p.py(*v[i]);
    if (!prev && !next) {
      dots += "<circle class=\"" + std::string(cls) + "\" cx=\"" + c(x) + "\" cy=\"" + c(y) + "\" r=\"1.8\" fill=\"" +
              colour + "\"/>\n";
      continue;
    }
    d += (prev ? "L" : "M") + c(x) + "," + c(y);
  }
  std::string out = dots;
  if (!d.empty()) {
    out += "<path class=\"" + std::string(cls) + "\" fill=\"none\" stroke=\"" + colour +
           "\" stroke-width=\"1.6\" stroke-linejoin=\"round\" d=\"" + d + "\"/>\n";
  }
  return out;
}

std::string note(const Plot& p, const std::string& message) {
  return "<text x=\"" + c(p.x + p.w / 2) + "\" y=\"" + c(p.y + p.h / 2) +
         "\" text-anchor=\"middle\" fill=\"#777\" font-size=\"13\">" + escape(message) + "</text>\n";
}

}  // namespace

std::string throughput_plot(const Plot& p, const Seconds& s) {
  if (!s.any_rows) return note(p, "no payment traffic in this run");
  std::vector<double> zero(s.ok.size(), 0), top1 = s.ok, top2 = s.ok, top3;
  for (std::size_t i = 0; i < top2.size(); ++i) top2[i] += s.fail[i];
  top3 = top2;
  for (std::size_t i = 0; i < top3.size(); ++i) top3[i] += s.unknown[i];
  const double b = s.bucket_s;
  return step_area(p, b, zero, top1, kOk, "ok") + step_area(p, b, top1, top2, kFail, "fail") +
         step_area(p, b, top2, top3, kUnknown, "unknown");
}

std::string latency_plot(const Plot& p, const Seconds& s) {
  const bool any = std::any_of(s.p50.begin(), s.p50.end(), [](auto& v) { return v.has_value(); }) ||
                   std::any_of(s.p99.begin(), s.p99.end(), [](auto& v) { return v.has_value(); });
  if (!any) return note(p, "no latency: no successful payment");
  return quantile_line(p, s.bucket_s, s.p99, kP99, "p99") + quantile_line(p, s.bucket_s, s.p50, kP50, "p50");
}

std::string time_axis(const Plot& p) {
  const double step = nice_step(p.t_max, 10);
  std::string out = "<g class=\"time-axis\" font-size=\"11\" fill=\"#444\">\n";
  out += "<line x1=\"" + c(p.x) + "\" y1=\"" + c(p.y + p.h) + "\" x2=\"" + c(p.x + p.w) + "\" y2=\"" +
         c(p.y + p.h) + "\" stroke=\"#888\"/>\n";
  for (double t = 0; t <= p.t_max + 1e-9; t += step) {
    const double x = p.px(t);
    out += "<line x1=\"" + c(x) + "\" y1=\"" + c(p.y + p.h) + "\" x2=\"" + c(x) + "\" y2=\"" + c(p.y + p.h + 4) +
           "\" stroke=\"#888\"/><text x=\"" + c(x) + "\" y=\"" + c(p.y + p.h + 15) + "\" text-anchor=\"middle\">" +
           format_number(t, 1) + "</text>\n";
  }
  out += "<text x=\"" + c(p.x + p.w) + "\" y=\"" + c(p.y + p.h + 28) +
         "\" text-anchor=\"end\">seconds since the start</text>\n</g>\n";
  return out;
}

std::string value_axis(const Plot& p, const std::string& title) {
  const double step = nice_step(p.v_max, 4);
  std::string out = "<g class=\"value-axis\" font-size=\"11\" fill=\"#444\">\n";
  for (double v = 0; v <= p.v_max + 1e-9; v += step) {
    const double y = p.py(v);
    out += "<line x1=\"" + c(p.x) + "\" y1=\"" + c(y) + "\" x2=\"" + c(p.x + p.w) + "\" y2=\"" + c(y) +
           "\" stroke=\"#e6e6e6\"/><text x=\"" + c(p.x - 6) + "\" y=\"" + c(y + 4) + "\" text-anchor=\"end\">" +
           format_number(v, 2) + "</text>\n";
  }
  out += "<text transform=\"translate(" + c(p.x - 52) + "," + c(p.y + p.h / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + escape(title) + "</text>\n</g>\n";
  return out;
}

}  // namespace injector::report::timeline
