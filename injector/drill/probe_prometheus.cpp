// The Prometheus probe: an instant query (GET /api/v1/query) whose one value
// is compared. Anything short of one number from a healthy server is
// unknown: the monitoring failing is the checker's blindness, never a pass
// and never the system's failure.

#include <httplib.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "injector/drill/probe_kinds.h"

namespace injector::drill::probe_detail {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

Observation blind(std::string why) { return {Observed::kUnknown, std::move(why), {}}; }

// JSON would write an infinity as null.
std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}


// A sample's value as Prometheus writes it: a string ("1", "NaN", "+Inf").
std::optional<double> sample_value(const json& pair) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) return std::nullopt;
  const std::string text = pair[1].get<std::string>();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

// The one number of a success answer's `data`, or why there is none.
std::variant<double, std::string> one_value(const json& data) {
  const std::string type = data.value("resultType", "");
  const json& result = data.contains("result") ? data["result"] : json();
  std::optional<double> v;
  if (type == "scalar") {
    v = sample_value(result);
  } else if (type == "vector") {
    if (!result.is_array()) return std::string("a vector answer without a result list");
    if (result.empty()) return std::string("empty vector: the query matched no series");
    if (result.size() > 1) {
      return std::to_string(result.size()) + " samples: the query must give exactly one (aggregate it)";
    }
    if (result[0].is_object() && result[0].contains("value")) v = sample_value(result[0]["value"]);
  } else {
    return "result type " + quote_input(type) + " (expected vector or scalar)";
  }
  if (!v) return std::string("a sample without a number");
  if (std::isnan(*v)) return std::string("the value is NaN");
  return *v;
}

Observation judge_body(const playbook::PrometheusProbe& p, int status, const std::string& body) {
  const json answer = json::parse(body, nullptr, false);
  if (status != 200) {
    std::string why = "prometheus answered " + std::to_string(status);
    if (answer.is_object() && answer.contains("error")) why += ": " + answer["error"].dump();
    return blind(why);
  }
  if (!answer.is_object()) return blind("prometheus answered 200 without a JSON object");
  if (answer.value("status", "") != "success") {
    return blind("query error: " + answer.value("errorType", "?") + ": " + answer.value("error", "?"));
  }
  if (!answer.contains("data") || !answer["data"].is_object()) return blind("a success answer without data");
  const auto v = one_value(answer["data"]);
  if (const auto* why = std::get_if<std::string>(&v)) return blind(*why);
  const double value = std::get<double>(v);
  const Comparison c{to_op(p.op), p.value, 0};
  const std::string text =
      p.query + " = " + number_text(value) + " (want " + to_string(c.op) + " " + number_text(p.value) + ")";
  return {holds(c, value) ? Observed::kOk : Observed::kFail, text, value};
}

}  // namespace

Observation check_prometheus(const playbook::PrometheusProbe& p, std::chrono::milliseconds timeout) {
  const auto url = split_url(p.url);
  if (!url) return blind("not an http:// or https:// URL: " + p.url);
  std::string prefix = url->path.substr(0, url->path.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  httplib::Client client(url->origin);
  if (!client.is_valid()) return blind("cannot make a client for " + url->origin);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);

  const auto start = Clock::now();
  const auto result = client.Get(prefix + "/api/v1/query?query=" + percent_encode(p.query));
  if (!result) {
    return blind("prometheus at " + p.url + " did not answer: " + httplib::to_string(result.error()) + " after " +
                 std::to_string(elapsed_ms(start)) + " ms");
  }
  try {
    return judge_body(p, result->status, result->body);
  } catch (const json::exception& e) {
    return blind(std::string("an answer of an unexpected shape: ") + e.what());
  }
}

}  // namespace injector::drill::probe_detail
