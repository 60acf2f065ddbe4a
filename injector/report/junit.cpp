#include "injector/report/junit.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "injector/report/fields.h"
#include "injector/report/markup.h"

namespace injector::report {

namespace {

struct Case {
  Case(std::string n, std::string cls) : name(std::move(n)), classname(std::move(cls)) {}
  std::string name;
  std::string classname;
  double time_s = 0;
  enum Outcome { kPass, kFailure, kError, kSkipped } outcome = kPass;
  std::string message;  // the one line a CI shows
  std::string body;     // details under it
};

double span_s(std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
  return from && to && *to > *from ? static_cast<double>(*to - *from) / 1e6 : 0.0;
}

// pass / fail / unknown / skipped (a question the run never asked, such as
// an rto under --no-faults); anything else (missing, a typo) cannot be a pass.
void judge(Case& c, const std::string& result, const std::string& fail_message, const std::string& detail) {
  if (result == "pass") return;
  if (result == "skipped") {
    c.outcome = Case::kSkipped;
    c.message = detail.empty() ? "not applicable to this run" : detail;
  } else if (result == "fail") {
    c.outcome = Case::kFailure;
    c.message = fail_message;
  } else {
    c.outcome = Case::kError;
    c.message = result == "unknown" ? "unknown: the checker could not decide" : "no result (\"" + result + "\")";
    if (!detail.empty()) c.message += ": " + detail;
  }
  c.body = detail;
}

Case expectation_case(const Json& e, const std::string& suite) {
  const std::string dc = text(e, "dc");
  Case c{text(e, "path") + " " + text(e, "metric") + " " + (dc.empty() ? "all" : dc), suite + ".expect"};
  const Json& window = field(e, "window");
  c.time_s = span_s(integer(window, "from_unix_us"), integer(window, "to_unix_us"));
  const std::string measured = format_optional(number(e, "measured"), unit_suffix(text(e, "unit")));
  judge(c, text(e, "result"), "measured " + measured + ", expected " + comparison(e), text(e, "detail"));
  if (c.outcome == Case::kError) c.message += " (measured " + measured + ", expected " + comparison(e) + ")";
  return c;
}

Case guard_case(const Json& g, const std::string& suite) {
  Case c{"guard " + text(g, "name"), suite + ".guard"};
  const auto breach = integer(g, "breach_unix_us");
  c.time_s = span_s(breach, integer(g, "revert_confirmed_unix_us"));
  const Json& tripped = field(g, "tripped");
  if (!tripped.is_boolean()) {
    c.outcome = Case::kError;
    c.message = "unknown: whether the guard tripped is not recorded";
  } else if (tripped.get<bool>()) {
    c.outcome = Case::kFailure;
    const std::string dc = text(g, "dc");
    c.message = "tripped: " + text(g, "metric") + (dc.empty() ? "" : " " + dc) + " measured " +
                format_optional(number(g, "measured")) + ", must be " + comparison(g) + " over " +
                format_optional(number(g, "window_s"), "s") + " for " + text(g, "for") + " evaluations";
    c.body = "breach at " + (breach ? iso_utc(*breach) : std::string("—")) + " UTC; revert sent " +
             relative_s(integer(g, "revert_sent_unix_us"), breach) + ", confirmed " +
             relative_s(integer(g, "revert_confirmed_unix_us"), breach) + " after the breach";
  }
  return c;
}

Case invariant_case(const Json& i, const std::string& suite) {
  Case c{"invariant " + text(i, "name"), suite + ".invariant"};
  const std::string detail = text(i, "detail");
  judge(c, text(i, "result"), detail.empty() ? "violated" : "violated: " + detail, detail);
  return c;
}

Case rollback_case(const Json& report, const std::string& suite) {
  Case c{"rollback", suite + ".rollback"};
  const Json& rb = field(report, "rollback");
  const std::string result = text(rb, "result");
  // The slowest fault's revert, from sent to confirmed: what the rollback took.
  for (const Json& f : list(report, "faults")) {
    c.time_s = std::max(c.time_s, span_s(integer(f, "revert_sent_unix_us"), integer(f, "revert_confirmed_unix_us")));
  }
  if (result == "confirmed" || result == "nothing_to_revert") return c;
  std::string hosts;
  for (const Json& h : list(rb, "unconfirmed_hosts")) {
    hosts += (hosts.empty() ? "" : ", ") + (h.is_string() ? h.get<std::string>() : h.dump());
  }
  c.outcome = result == "incomplete" ? Case::kFailure : Case::kError;
  c.message = result == "incomplete" ? "incomplete: no confirmed revert from " + (hosts.empty() ? "?" : hosts)
                                     : "rollback result not recorded (\"" + result + "\")";
  return c;
}

void write_case(std::string& out, const Case& c) {
  out += "    <testcase name=\"" + escape(c.name) + "\" classname=\"" + escape(c.classname) + "\" time=\"" +
         format_number(c.time_s, 6) + "\"";
  if (c.outcome == Case::kPass) {
    out += "/>\n";
    return;
  }
  if (c.outcome == Case::kSkipped) {
    out += ">\n      <skipped message=\"" + escape(c.message) + "\"/>\n    </testcase>\n";
    return;
  }
  const char* tag = c.outcome == Case::kFailure ? "failure" : "error";
  out += ">\n      <" + std::string(tag) + " message=\"" + escape(c.message) + "\" type=\"" +
         (c.outcome == Case::kFailure ? "fail" : "unknown") + "\">" + escape(c.body) + "</" + tag + ">\n";
  out += "    </testcase>\n";
}

std::string property(const std::string& name, const std::string& value) {
  return "      <property name=\"" + escape(name) + "\" value=\"" + escape(value) + "\"/>\n";
}

std::string properties(const Json& report) {
  const Json& verdict = field(report, "verdict");
  const Json& run = field(report, "run");
  std::string out = "    <properties>\n";
  out += property("verdict", text(verdict, "result"));
  out += property("exit_code", text(verdict, "exit_code"));
  out += property("reason", text(verdict, "reason"));
  out += property("playbook_file", text(field(report, "playbook"), "file"));
  for (const char* key : {"started_unix_us", "ended_unix_us", "no_faults", "forced", "interrupted", "report_dir"}) {
    out += property(key, text(run, key));
  }
  return out + "    </properties>\n";
}

}  // namespace

std::string render_junit(const Json& report) {
  std::string suite = text(field(report, "playbook"), "name");
  if (suite.empty()) suite = "drill";
  std::vector<Case> cases;
  for (const Json& e : list(report, "expectations")) cases.push_back(expectation_case(e, suite));
  for (const Json& g : list(report, "guards")) cases.push_back(guard_case(g, suite));
  for (const Json& i : list(report, "invariants")) cases.push_back(invariant_case(i, suite));
  cases.push_back(rollback_case(report, suite));

  int failures = 0, errors = 0, skipped = 0;
  for (const Case& c : cases) {
    failures += c.outcome == Case::kFailure;
    errors += c.outcome == Case::kError;
    skipped += c.outcome == Case::kSkipped;
  }
  const Json& verdict = field(report, "verdict");
  if (text(verdict, "result") != "pass" && failures + errors == 0) {
    const std::string result = text(verdict, "result");
    Case& v = cases.emplace_back("verdict", suite + ".verdict");
    v.outcome = Case::kError;
    v.message = result.empty() ? "no verdict recorded" : "verdict " + result + ": " + text(verdict, "reason");
    ++errors;
  }

  const Json& run = field(report, "run");
  const auto started = integer(run, "started_unix_us");
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::string counts = " tests=\"" + std::to_string(cases.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
                             "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" +
                             format_number(span_s(started, integer(run, "ended_unix_us")), 6) + "\"";
  out += "<testsuites name=\"" + escape(suite) + "\"" + counts + ">\n";
  out += "  <testsuite name=\"" + escape(suite) + "\"" + counts;
  if (started) out += " timestamp=\"" + iso_utc(*started) + "\"";
  out += ">\n" + properties(report);
  for (const Case& c : cases) write_case(out, c);
  // CI pages show a suite's output where they hide its properties.
  out += "    <system-out>" + escape("verdict " + text(verdict, "result") + " (exit " + text(verdict, "exit_code") +
                                   "): " + text(verdict, "reason")) + "</system-out>\n";
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace injector::report
