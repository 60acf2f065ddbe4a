// The rest of report.html's tables: guards, invariants, rollback, probes and
// the run's particulars (declared in report_tables.h).
#include <vector>

#include "injector/report/markup.h"
#include "injector/report/report_tables.h"

namespace injector::report::html {

namespace {

// "+12.4 s (85 ms after the breach)": the abort's own latency is the figure
// that matters for a guard.
std::string since_breach(const Json& g, const char* key, std::optional<std::int64_t> start) {
  const auto breach = integer(g, "breach_unix_us"), t = integer(g, key);
  std::string out = relative_s(t, start);
  if (breach && t) out += " (" + format_number(static_cast<double>(*t - *breach) / 1e3, 1) + " ms after the breach)";
  return out;
}

std::string guard_condition(const Json& g) {
  const std::string dc = text(g, "dc");
  return text(g, "metric") + (dc.empty() ? "" : " " + dc) + " " + comparison(g) + " over " +
         format_optional(number(g, "window_s"), "s") + " (trips after " + text(g, "for") + " breaches in a row)";
}

}  // namespace

std::string guards_table(const Json& report) {
  const auto start = start_of(report);
  std::string rows;
  for (const Json& g : list(report, "guards")) {
    const Json& tripped = field(g, "tripped");
    rows += "<tr>" + td(text(g, "name")) + td(text(g, "path")) + td(guard_condition(g)) + "<td>" +
            badge(tripped.is_boolean() ? (tripped.get<bool>() ? "tripped" : "ok") : "unknown") + "</td>" +
            td(relative_s(integer(g, "breach_unix_us"), start)) + td(format_optional(number(g, "measured"))) +
            td(since_breach(g, "revert_sent_unix_us", start)) + td(since_breach(g, "revert_confirmed_unix_us", start)) +
            "</tr>\n";
  }
  return table("guards", "Guards",
                 {"name", "path", "must hold", "state", "breach", "measured", "revert sent", "revert confirmed"},
                 rows, "No guard.");
}

std::string invariants_table(const Json& report) {
  std::string rows;
  for (const Json& i : list(report, "invariants")) {
    rows += "<tr>" + td(text(i, "name")) + "<td>" + badge(text(i, "result")) + "</td>" + td(text(i, "detail")) +
            "</tr>\n";
  }
  return table("invariants", "Invariants (read from the ledger)", {"name", "result", "detail"}, rows,
                 "No invariant was checked.");
}

std::string rollback_section(const Json& report) {
  const Json& rb = field(report, "rollback");
  std::string hosts;
  for (const Json& h : list(rb, "unconfirmed_hosts")) {
    hosts += (hosts.empty() ? "" : ", ") + escape(h.is_string() ? h.get<std::string>() : h.dump());
  }
  std::string out = "<section id=\"rollback\"><h2>Rollback</h2>\n<p>" + badge(text(rb, "result"));
  if (!hosts.empty()) out += " no confirmed revert from: <strong>" + hosts + "</strong>";
  return out + "</p></section>\n";
}

std::string probes_table(const Json& report) {
  std::string rows;
  for (const Json& p : list(report, "probes")) {
    rows += "<tr>" + td(text(p, "name")) + td(text(p, "kind")) + td(format_optional(number(p, "ok"), "", 0)) +
            td(format_optional(number(p, "fail"), "", 0)) + td(format_optional(number(p, "unknown"), "", 0)) +
            "</tr>\n";
  }
  return table("probes", "Probes", {"name", "kind", "ok", "fail", "unknown"}, rows, "No probe.");
}

std::string run_section(const Json& report) {
  const Json& run = field(report, "run");
  const Json& playbook = field(report, "playbook");
  std::string rows;
  auto row = [&rows](const std::string& k, const std::string& v) { rows += "<tr>" + td(k) + td(v) + "</tr>\n"; };
  row("playbook file", text(playbook, "file"));
  const Json& vars = field(playbook, "vars");
  if (vars.is_object()) {
    for (const auto& [k, v] : vars.items()) row("var " + k, v.is_string() ? v.get<std::string>() : v.dump());
  }
  const auto started = integer(run, "started_unix_us"), ended = integer(run, "ended_unix_us");
  row("started", started ? iso_utc(*started) + " UTC" : "—");
  row("ended", ended ? iso_utc(*ended) + " UTC" : "—");
  for (const char* k : {"inventory", "report_dir", "no_faults", "forced", "interrupted"}) row(k, text(run, k));
  row("format", text(report, "format"));
  return table("run", "The run", {"", ""}, rows, "");
}

}  // namespace injector::report::html
