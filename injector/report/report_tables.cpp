#include "injector/report/report_tables.h"

#include <vector>

#include "injector/report/markup.h"

namespace injector::report::html {

namespace {

std::string duration_between(std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
  if (!from || !to) return "—";
  return format_number(static_cast<double>(*to - *from) / 1e6, 3) + " s";
}

std::string ms(const Json& j, const char* key) { return format_optional(number(j, key), "ms", 1); }

std::string hosts_cell(const Json& fault, std::optional<std::int64_t> start) {
  std::string out = "<td><ul class=\"hosts\">";
  for (const Json& h : list(fault, "hosts")) {
    const Json& reverted = field(h, "reverted");
    const std::string error = text(h, "error");
    out += "<li>" + escape(text(h, "host")) + " <span class=\"dim\">(" + escape(text(h, "dc")) + ")</span> active " +
           escape(relative_s(integer(h, "activated_unix_us"), start)) + ", " +
           (reverted.is_boolean() ? (reverted.get<bool>() ? badge("reverted") : badge("not reverted"))
                                  : badge("revert unknown")) +
           (error.empty() ? "" : " <span class=\"err\">" + escape(error) + "</span>") + "</li>";
  }
  return out + "</ul></td>";
}

}  // namespace

std::string table(const std::string& id, const std::string& title, const std::vector<std::string>& headers,
                  const std::string& rows, const std::string& empty_note) {
  std::string out = "<section id=\"" + id + "\"><h2>" + escape(title) + "</h2>\n";
  if (rows.empty()) return out + "<p class=\"none\">" + escape(empty_note) + "</p></section>\n";
  out += "<table>";
  std::string head;
  for (const auto& h : headers) head += h;
  if (!head.empty()) {  // a table of name/value pairs needs no header row
    out += "<thead><tr>";
    for (const auto& h : headers) out += "<th>" + escape(h) + "</th>";
    out += "</tr></thead>";
  }
  return out + "<tbody>\n" + rows + "</tbody></table></section>\n";
}

std::string badge(const std::string& result) {
  static const std::vector<std::string> good = {"pass", "ok", "confirmed", "reverted", "nothing_to_revert", "no"};
  static const std::vector<std::string> bad = {"fail", "failed", "aborted", "incomplete", "unconfirmed",
                                               "not reverted", "yes", "tripped"};
  const char* cls = "warn";
  for (const auto& g : good) if (result == g) cls = "good";
  for (const auto& b : bad) if (result == b) cls = "bad";
  if (result == "skipped") cls = "neutral";  // not asked in this run: neither good nor a warning
  return "<span class=\"badge " + std::string(cls) + "\">" + escape(result.empty() ? "—" : result) + "</span>";
}

std::string td(const std::string& text) { return "<td>" + escape(text) + "</td>"; }

std::optional<std::int64_t> start_of(const Json& report) {
  return integer(field(report, "run"), "started_unix_us");
}

std::string steps_table(const Json& report) {
  const auto start = start_of(report);
  std::string rows;
  for (const Json& s : list(report, "steps")) {
    const auto from = integer(s, "started_unix_us");
    rows += "<tr>" + td(text(s, "path")) + td(text(s, "id")) + td(text(s, "kind")) + td(text(s, "summary")) +
            td(relative_s(from, start)) + td(duration_between(from, integer(s, "ended_unix_us"))) + "<td>" +
            badge(text(s, "result")) + "</td>" + td(text(s, "detail")) + "</tr>\n";
  }
  return table("steps", "Steps", {"path", "id", "kind", "what", "started", "took", "result", "detail"}, rows,
               "No step ran.");
}

std::string faults_table(const Json& report) {
  const auto start = start_of(report);
  std::string rows;
  for (const Json& f : list(report, "faults")) {
    rows += "<tr>" + td(text(f, "step_id")) + td(text(f, "operation")) + td(text(f, "description")) +
            td(relative_s(integer(f, "requested_unix_us"), start)) +
            td(relative_s(integer(f, "active_unix_us"), start)) +
            td(relative_s(integer(f, "revert_sent_unix_us"), start)) +
            td(relative_s(integer(f, "revert_confirmed_unix_us"), start)) + "<td>" + badge(text(f, "revert")) +
            "</td>" + hosts_cell(f, start) + "</tr>\n";
  }
  return table("faults", "Faults (times since the start)",
               {"step", "operation", "fault", "requested", "active (whole)", "revert sent", "revert confirmed",
                "revert", "hosts"},
               rows, "No fault was applied.");
}

std::string failover_table(const Json& report) {
  std::string rows;
  for (const Json& f : list(report, "failover")) {
    const Json& per_dc = field(f, "per_dc");
    if (!per_dc.is_object()) continue;
    for (const auto& [dc, m] : per_dc.items()) {
      rows += "<tr>" + td(text(f, "fault")) + td(text(f, "edge")) + td(dc.empty() ? "all" : dc) +
              td(ms(m, "detection_ms")) + td(ms(m, "rto_ms")) + td(ms(m, "longest_gap_ms")) +
              td(ms(m, "p99_before_ms")) + td(ms(m, "p99_during_ms")) + td(ms(m, "p99_after_ms")) + "</tr>\n";
    }
  }
  return table("failover", "Failover, at each fault's start and end",
               {"fault", "edge", "datacenter", "detection", "RTO", "longest gap", "p99 before", "p99 during",
                "p99 after"},
               rows, "No failover figures (no fault, or no payment traffic).");
}

std::string expectations_table(const Json& report) {
  const auto start = start_of(report);
  std::string rows;
  for (const Json& e : list(report, "expectations")) {
    const Json& w = field(e, "window");
    const std::string dc = text(e, "dc");
    rows += "<tr>" + td(text(e, "path")) + td(text(e, "step_id")) + td(text(e, "metric")) +
            td(dc.empty() ? "all" : dc) + td(comparison(e)) +
            td(format_optional(number(e, "measured"), unit_suffix(text(e, "unit")))) +
            td(relative_s(integer(w, "from_unix_us"), start) + " … " + relative_s(integer(w, "to_unix_us"), start)) +
            "<td>" + badge(text(e, "result")) + "</td>" + td(text(e, "detail")) + "</tr>\n";
  }
  return table("expectations", "Expectations",
               {"path", "step", "metric", "datacenter", "expected", "measured", "window", "result", "detail"}, rows,
               "No expectation.");
}

}  // namespace injector::report::html
