#include "injector/report/report_html.h"

#include <cctype>

#include "injector/report/markup.h"
#include "injector/report/report_tables.h"
#include "injector/report/timeline_svg.h"

namespace injector::report {

namespace {

constexpr const char* kStyle = R"css(
body{font-family:sans-serif;color:#222;max-width:1240px;margin:0 auto;padding:12px 16px;background:#fff}
h1{margin:0 0 4px;font-size:28px}h2{font-size:18px;margin:24px 0 8px}
.verdict{padding:14px 18px;border-radius:6px;border-left:10px solid}
.verdict.good{background:#e3f4e8;border-color:#2e8b4e}.verdict.bad{background:#fbe3e2;border-color:#c0392b}
.verdict.warn{background:#fdf1d8;border-color:#d68910}.verdict.neutral{background:#eceff3;border-color:#5d6d7e}
.verdict .reason{font-size:17px;margin:4px 0}.dim{color:#666}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}
.card{border:1px solid #ccc;border-radius:5px;padding:6px 12px;min-width:96px}
.card .v{font-size:20px;font-weight:bold}.card .k{font-size:12px;color:#555}.card.bad{border-color:#c0392b;background:#fbe3e2}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f2f2f2}.badge{padding:1px 6px;border-radius:3px;font-weight:bold;white-space:nowrap}
.badge.good{background:#dff3e4;color:#1e6b3a}.badge.bad{background:#fbe0df;color:#a93226}.badge.warn{background:#fdf0d5;color:#9a6400}.badge.neutral{background:#eceff3;color:#5d6d7e}
ul.hosts{margin:0;padding-left:16px}.err{color:#a93226}.none{color:#666;font-style:italic}
svg.timeline{max-width:100%;height:auto;display:block;border:1px solid #ddd}
)css";

std::string verdict_class(const std::string& result) {
  if (result == "pass") return "good";
  if (result == "expectation_failed" || result == "invariant_violated" || result == "guard_aborted" ||
      result == "rollback_incomplete") {
    return "bad";
  }
  if (result == "unknown" || result == "interrupted") return "warn";
  return "neutral";  // refused, invalid, or not recorded: nothing was judged
}

std::string verdict_header(const Json& report) {
  const Json& verdict = field(report, "verdict");
  const Json& playbook = field(report, "playbook");
  const std::string result = text(verdict, "result");
  std::string word = result.empty() ? "NO VERDICT" : result;
  for (char& ch : word) ch = ch == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const auto started = html::start_of(report);
  const auto ended = integer(field(report, "run"), "ended_unix_us");
  std::string out = "<header class=\"verdict " + verdict_class(result) + "\"><h1>" + escape(word) + "</h1>\n";
  out += "<p class=\"reason\">" + escape(text(verdict, "reason")) + "</p>\n<p class=\"dim\">drill <strong>" +
         escape(text(playbook, "name")) + "</strong> — " + escape(text(playbook, "description")) + "<br>";
  out += (started ? "started " + iso_utc(*started) + " UTC" : std::string("start unknown")) +
         (started && ended ? ", ran " + format_number(static_cast<double>(*ended - *started) / 1e6, 1) + " s" : "") +
         ", exit code " + escape(text(verdict, "exit_code")) +
         (flag(field(report, "run"), "no_faults") ? ", steady state only (--no-faults)" : "") + "</p></header>\n";
  return out;
}

std::string card(const std::string& key, const std::string& value, bool bad = false,
                 const std::string& note = "") {
  return "<div class=\"card" + std::string(bad ? " bad" : "") + "\"><div class=\"v\">" + escape(value) +
         "</div><div class=\"k\">" + escape(key) + "</div>" +
         (note.empty() ? "" : "<div class=\"k dim\">" + escape(note) + "</div>") + "</div>";
}

// The failover entry (fault, edge, datacenter) with the largest value of a figure.
struct Worst {
  std::optional<double> value;
  std::string where;
  const Json* figures = nullptr;
};
Worst worst_of(const Json& report, const char* key) {
  Worst w;
  for (const Json& f : list(report, "failover")) {
    const Json& per_dc = field(f, "per_dc");
    if (!per_dc.is_object()) continue;
    for (const auto& [dc, m] : per_dc.items()) {
      const auto v = number(m, key);
      if (v && (!w.value || *v > *w.value)) {
        w = {v, text(f, "fault") + " " + text(f, "edge") + ", " + (dc.empty() ? "all" : dc), &m};
      }
    }
  }
  return w;
}

std::string summary(const Json& report) {
  const Json& p = field(report, "payments");
  auto count = [&p](const char* k) { return format_optional(number(p, k), "", 0); };
  auto nonzero = [&p](const char* k) { return number(p, k).value_or(0) > 0; };
  std::string out = "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  out += card("payments sent", count("sent")) + card("ok", count("ok")) + card("failed", count("failed")) +
         card("unknown outcome", count("unknown"), nonzero("unknown")) + card("lost", count("lost"), nonzero("lost")) +
         card("duplicated", count("duplicated"), nonzero("duplicated")) +
         card("applied, never sent", count("phantom"), nonzero("phantom"));
  const Worst rto = worst_of(report, "rto_ms"), gap = worst_of(report, "longest_gap_ms");
  out += card("RTO (worst)", format_optional(rto.value, "ms", 0), false, rto.where);
  out += card("longest gap", format_optional(gap.value, "ms", 0), false, gap.where.empty() ? "" : "at " + gap.where);
  static const Json kNone;
  const Json& at = gap.figures ? *gap.figures : kNone;
  const std::string where = gap.where.empty() ? "" : "around " + gap.where;
  out += card("p99 before", format_optional(number(at, "p99_before_ms"), "ms", 1), false, where) +
         card("p99 during", format_optional(number(at, "p99_during_ms"), "ms", 1), false, where) +
         card("p99 after", format_optional(number(at, "p99_after_ms"), "ms", 1), false, where);
  return out + "</div></section>\n";
}

}  // namespace

std::string render_report_html(const Json& report) {
  const Json& playbook = field(report, "playbook");
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                    escape("Drill " + text(playbook, "name") + ": " + text(field(report, "verdict"), "result")) +
                    "</title>\n<style>" + kStyle + "</style></head><body>\n";
  out += verdict_header(report) + summary(report);
  out += "<section id=\"timeline\"><h2>Timeline</h2>\n" + render_timeline_svg(report) + "</section>\n";
  out += html::failover_table(report) + html::steps_table(report) + html::faults_table(report) +
         html::expectations_table(report) + html::guards_table(report) + html::invariants_table(report) +
         html::rollback_section(report) + html::probes_table(report) + html::run_section(report);
  return out + "</body></html>\n";
}

}  // namespace injector::report
