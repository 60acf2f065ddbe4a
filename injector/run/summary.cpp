#include "injector/run/summary.h"

#include <ostream>

namespace injector::run {
namespace {

using nlohmann::json;

std::string num(const json& v, const char* unit = "") {
  if (v.is_null()) return "-";
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>()) + unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%s", v.get<double>(), unit);
  return buf;
}

void print_failover(const json& failover, std::ostream& out) {
  for (const auto& f : failover) {
    const json per_dc = f.value("per_dc", json::object());
    for (const auto& [dc, m] : per_dc.items()) {
      out << "  " << f.value("fault", "?") << " (" << f.value("edge", "?") << ") " << (dc.empty() ? "all" : dc)
          << ": detection " << num(m.value("detection_ms", json()), " ms") << ", rto " << num(m.value("rto_ms", json()), " ms")
          << ", longest gap " << num(m.value("longest_gap_ms", json()), " ms") << ", p99 before/during/after "
          << num(m.value("p99_before_ms", json())) << "/" << num(m.value("p99_during_ms", json())) << "/"
          << num(m.value("p99_after_ms", json())) << " ms\n";
    }
  }
}

// Which edge caused the longest gap: a heal can hurt more than the cut.
void print_longest_gap(const json& failover, std::ostream& out) {
  double worst = -1;
  std::string where;
  for (const auto& f : failover) {
    const json per_dc = f.value("per_dc", json::object());
    for (const auto& [dc, m] : per_dc.items()) {
      const json gap = m.value("longest_gap_ms", json());
      if (dc.empty() || !gap.is_number() || gap.get<double>() <= worst) continue;
      worst = gap.get<double>();
      where = dc + ", after " + f.value("fault", "?") + (f.value("edge", "") == "end" ? "'s heal" : "'s start");
    }
  }
  if (worst >= 0) out << "longest gap: " << num(json(worst), " ms") << " (" << where << ")\n";
}

}  // namespace

void print_summary(const json& r, std::ostream& out) {
  const json& v = r["verdict"];
  out << "verdict: " << v.value("result", "?") << " (exit " << v.value("exit_code", -1) << "): " << v.value("reason", "")
      << "\n";
  const json& p = r["payments"];
  out << "payments: " << num(p["sent"]) << " sent, " << num(p["ok"]) << " ok, " << num(p["failed"]) << " failed, "
      << num(p["unknown"]) << " unknown; lost " << num(p["lost"]) << ", duplicated " << num(p["duplicated"])
      << ", phantom " << num(p["phantom"]) << "\n";
  print_longest_gap(r["failover"], out);
  print_failover(r["failover"], out);
  for (const auto& e : r["expectations"]) {
    out << "  " << e.value("result", "?") << "  " << e.value("path", "") << " " << e.value("metric", "")
        << (e.value("dc", "").empty() ? "" : "[" + e.value("dc", "") + "]") << ": " << e.value("detail", "") << "\n";
  }
  for (const auto& i : r["invariants"]) {
    out << "  " << i.value("result", "?") << "  invariant " << i.value("name", "") << ": " << i.value("detail", "") << "\n";
  }
  out << "rollback: " << r["rollback"].value("result", "?") << "\n";
  out << "report: " << r["run"].value("report_dir", "") << "/report.json\n";
}

}  // namespace injector::run
