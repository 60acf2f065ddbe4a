// Probes, expectations and guards of a playbook (playbooks/README.md).
#include <algorithm>
#include <cctype>
#include <regex>

#include "injector/drill/probes.h"

#include "common/duration.h"
#include "common/input_limits.h"
#include "injector/playbook/names.h"
#include "injector/playbook/sections.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

constexpr const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};

// A regex the runner will match with: refused now rather than mid-drill.
void check_regex(const std::optional<std::string>& text, const std::string& path, Errors& errors) {
  if (!text) return;
  if (const auto problem = drill::regex_problem(*text)) {
    errors.emplace_back(path, quote_input(*text) + " is not a regular expression: " + *problem, "PCRE2 syntax");
  }
}

void check_url(const std::optional<std::string>& url, const std::string& path, Errors& errors) {
  static const std::regex kUrl(R"(https?://[^\s/?#]+(/\S*)?)");
  if (url && !std::regex_match(*url, kUrl)) {
    errors.emplace_back(path, quote_input(*url) + " is not an http(s) URL", "http://HOST[:PORT][/PATH] or https://...");
  }
}

HttpProbe read_http_probe(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"method", "url", "headers", "body", "status", "body_match", "max_latency"});
  HttpProbe p;
  p.call = read_http_call(r);
  const auto match = r.text("body_match");
  check_regex(match, r.at("body_match"), errors);
  p.body_match = match.value_or("");
  p.max_latency = r.duration("max_latency");
  return p;
}

CommandProbe read_command_probe(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"argv", "status", "stdout_match"});
  CommandProbe p;
  read_program(r, p.argv, p.status);
  const auto match = r.text("stdout_match");
  check_regex(match, r.at("stdout_match"), errors);
  p.stdout_match = match.value_or("");
  return p;
}

PrometheusProbe read_prometheus_probe(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"url", "query", "op", "value"});
  PrometheusProbe p;
  const auto url = r.text("url", Need::required);
  check_url(url, r.at("url"), errors);
  p.url = url.value_or("");
  p.query = r.text("query", Need::required).value_or("");
  if (const auto op = r.text("op", Need::required)) {
    const auto parsed = op_from_string(*op);
    if (!parsed) errors.emplace_back(r.at("op"), quote_input(*op) + " is not a comparison", op_names());
    p.op = parsed.value_or(CompareOp::ge);
  }
  p.value = r.number("value", Need::required).value_or(0);
  return p;
}

// One comparison operand: a number, a duration for times ("50ms", kept in
// seconds), a percentage for fractions ("99%").
std::optional<double> metric_value(const YAML::Node& node, const std::string& path, Errors& errors,
                                   std::optional<Metric> metric) {
  const auto text = scalar_text(node, path, errors);
  if (!text) return std::nullopt;
  const bool fraction = metric == Metric::success_rate || metric == Metric::probe;
  if (metric && is_time_metric(*metric) && !text->empty() && std::isalpha(static_cast<unsigned char>(text->back()))) {
    const auto d = duration_value(node, path, errors, Zero::allowed);
    return d ? std::optional(std::chrono::duration<double>(*d).count()) : std::nullopt;
  }
  const auto v = fraction ? fraction_value(node, path, errors) : number_value(node, path, errors);
  if (v && !fraction && *v < 0) errors.emplace_back(path, "is negative", "0 or more");
  return v;
}

void read_comparison(const MapReader& r, Expectation& e) {
  Errors& errors = r.errors();
  const bool has_op = r.has("op") || r.has("value");
  if (has_op == r.has("between")) {
    errors.emplace_back(r.path(), has_op ? "has both op/value and between; exactly one is allowed"
                                         : "needs a comparison: op and value, or between",
                        "op + value, or between: [LOW, HIGH]");
  }
  if (has_op) {
    if (const auto op = r.text("op", Need::required)) {
      e.op = op_from_string(*op);
      if (!e.op) errors.emplace_back(r.at("op"), quote_input(*op) + " is not a comparison", op_names());
    }
    if (const YAML::Node v = r.get("value", Need::required)) e.value = metric_value(v, r.at("value"), errors, e.metric).value_or(0);
  }
  const YAML::Node between = r.get("between");
  if (!between || !expect_list(between, r.at("between"), errors, "two values")) return;
  if (between.size() != 2) {
    errors.emplace_back(r.at("between"), "has " + std::to_string(between.size()) + " values", "[LOW, HIGH]");
    return;
  }
  const auto low = metric_value(between[0], index_path(r.at("between"), 0), errors, e.metric);
  const auto high = metric_value(between[1], index_path(r.at("between"), 1), errors, e.metric);
  if (low && high && *low > *high) errors.emplace_back(r.at("between"), "LOW is above HIGH", "[LOW, HIGH] with LOW <= HIGH");
  if (low && high) e.between = std::pair(*low, *high);
}

void read_metric(const MapReader& r, Expectation& e) {
  const auto text = r.text("metric", Need::required);
  if (!text) return;
  if (text->starts_with("probe.") && text->size() > 6) {
    e.metric = Metric::probe;
    e.probe = text->substr(6);
    return;
  }
  e.metric = metric_from_string(*text);
  if (!e.metric) r.errors().emplace_back(r.at("metric"), quote_input(*text) + " is not a metric", metric_names());
}

}  // namespace

HttpCall read_http_call(const MapReader& r) {
  HttpCall call;
  if (const auto method = r.text("method")) {
    if (std::find(std::begin(kMethods), std::end(kMethods), *method) == std::end(kMethods)) {
      r.errors().emplace_back(r.at("method"), quote_input(*method) + " is not an HTTP method", "GET, HEAD, POST, PUT, PATCH, DELETE");
    }
    call.method = *method;
  }
  const auto url = r.text("url", Need::required);
  check_url(url, r.at("url"), r.errors());
  call.url = url.value_or("");
  call.headers = r.map("headers").value_or(StringMap{});
  call.body = r.text("body").value_or("");
  call.status = read_status_range(r, "status").value_or(StatusRange{});
  return call;
}

std::optional<StatusRange> read_status_range(const MapReader& r, const char* key) {
  const auto text = r.text(key);
  if (!text) return std::nullopt;
  static const std::regex kRange(R"(([1-5][0-9][0-9])(-([1-5][0-9][0-9]))?)");
  std::smatch m;
  if (std::regex_match(*text, m, kRange)) {
    const StatusRange range{std::stoi(m[1].str()), m[3].matched ? std::stoi(m[3].str()) : std::stoi(m[1].str())};
    if (range.low <= range.high) return range;
  }
  r.errors().emplace_back(r.at(key), quote_input(*text) + " is not a status or a range", "a code such as 204, or a range such as 200-299 (100-599)");
  return std::nullopt;
}

std::optional<Probe> read_probe(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"name", "interval", "timeout", "http", "command", "prometheus"});
  if (!r.ok()) return std::nullopt;
  Probe p;
  p.path = path;
  p.name = r.text("name", Need::required).value_or("");
  if (r.has("name")) check_pattern(p.name, r.at("name"), errors, kIdPattern, "probe name");
  p.interval = r.duration("interval").value_or(p.interval);
  p.timeout = r.duration("timeout").value_or(p.timeout);
  const std::string kind = r.one_of({"http", "command", "prometheus"});
  if (kind == "http") p.check = read_http_probe(r.get(kind), r.at(kind), errors);
  if (kind == "command") p.check = read_command_probe(r.get(kind), r.at(kind), errors);
  if (kind == "prometheus") p.check = read_prometheus_probe(r.get(kind), r.at(kind), errors);
  return p;
}

std::optional<Expectation> read_expectation(const YAML::Node& node, const std::string& path, Errors& errors,
                                            ExpectationUse use) {
  const MapReader r(node, path, errors, {"metric", "dc", "op", "value", "between", "window", "for", "after"});
  if (!r.ok()) return std::nullopt;
  Expectation e;
  e.path = path;
  read_metric(r, e);
  e.dc = r.text("dc").value_or("");
  read_comparison(r, e);
  e.window = r.duration("window");
  if (!e.window && use == ExpectationUse::guard) e.window = std::chrono::seconds(2);
  e.for_count = static_cast<int>(r.integer("for", 1, 1'000'000).value_or(1));
  e.after = r.duration("after", Need::optional, Zero::allowed).value_or(Millis{0});
  return e;
}

std::optional<Guard> read_guard(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"name", "expect"});
  if (!r.ok()) return std::nullopt;
  Guard g;
  g.path = path;
  g.name = r.text("name", Need::required).value_or("");
  if (r.has("name")) check_pattern(g.name, r.at("name"), errors, kIdPattern, "guard name");
  if (const YAML::Node e = r.get("expect", Need::required)) {
    g.expect = read_expectation(e, r.at("expect"), errors, ExpectationUse::guard).value_or(Expectation{});
  }
  return g;
}

}  // namespace injector::playbook

namespace injector::playbook {

void read_program(const MapReader& r, std::vector<std::string>& argv, int& status) {
  argv = r.strings("argv", Need::required).value_or(std::vector<std::string>{});
  if (r.has("argv") && argv.empty()) r.errors().emplace_back(r.at("argv"), "is empty", "the program and its arguments");
  status = static_cast<int>(r.integer("status", 0, 255).value_or(0));
}

}  // namespace injector::playbook
