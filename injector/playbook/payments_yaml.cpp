// workload.payments: the built-in workload, and the dialect of the payment
// API it speaks (the sample system's unless the playbook says otherwise).
#include <regex>
#include <stdexcept>

#include "common/input_limits.h"
#include "injector/playbook/path.h"
#include "injector/playbook/sections.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

constexpr const char* kPaymentMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
constexpr const char* kStatusHint = "a code such as 402, a range such as 500-599 (100-599), or a list of them";

// A template's placeholders are checked now, not when the first payment is made.
drill::Template read_template(const std::string& text, const std::string& path, Errors& errors) {
  try {
    return drill::Template(text);
  } catch (const std::invalid_argument& e) {
    errors.emplace_back(path, e.what(), drill::placeholder_names());
    return {};
  }
}

std::optional<drill::StatusSpan> status_span(const YAML::Node& node, const std::string& path, Errors& errors) {
  const auto text = scalar_text(node, path, errors);
  if (!text) return std::nullopt;
  static const std::regex kRange(R"(([1-5][0-9][0-9])(-([1-5][0-9][0-9]))?)");
  std::smatch m;
  if (std::regex_match(*text, m, kRange)) {
    const drill::StatusSpan s{std::stoi(m[1].str()), m[3].matched ? std::stoi(m[3].str()) : std::stoi(m[1].str())};
    if (s.low <= s.high) return s;
  }
  errors.emplace_back(path, quote_input(*text) + " is not a status or a range", kStatusHint);
  return std::nullopt;
}

// "402", "500-599", or a list of them.
std::optional<std::vector<drill::StatusSpan>> statuses(const MapReader& r, const char* key) {
  const YAML::Node node = r.get(key);
  if (!node) return std::nullopt;
  std::vector<drill::StatusSpan> out;
  if (!node.IsSequence()) {
    if (const auto s = status_span(node, r.at(key), r.errors())) out.push_back(*s);
    return out;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (const auto s = status_span(node[i], index_path(r.at(key), i), r.errors())) out.push_back(*s);
  }
  return out;
}

void read_request(const YAML::Node& node, const std::string& path, Errors& errors, drill::PaymentsDialect& d) {
  const MapReader r(node, path, errors, {"method", "path", "headers", "body"});
  if (const auto method = r.text("method")) {
    if (std::find(std::begin(kPaymentMethods), std::end(kPaymentMethods), *method) == std::end(kPaymentMethods)) {
      errors.emplace_back(r.at("method"), quote_input(*method) + " is not an HTTP method", "GET, POST, PUT, PATCH, DELETE");
    }
    d.method = *method;
  }
  if (const auto p = r.text("path")) {
    check_pattern(*p, r.at("path"), errors, R"(/[^\s#]*)", "a path starting with /");
    d.path = read_template(*p, r.at("path"), errors);
  }
  if (const auto headers = r.map("headers")) {
    d.headers.clear();
    for (const auto& [name, value] : *headers) {
      check_pattern(name, key_path(r.at("headers"), name), errors, "[A-Za-z0-9!#$%&'*+.^_`|~-]+", "header name");
      d.headers.emplace_back(name, read_template(value, key_path(r.at("headers"), name), errors));
    }
  }
  if (const auto body = r.text("body")) d.body = read_template(*body, r.at("body"), errors);
}

drill::BodyMatch read_body_match(const MapReader& r, const char* key) {
  const auto pattern = r.text(key);
  if (!pattern || pattern->empty()) return {};
  try {
    return drill::BodyMatch(*pattern);
  } catch (const std::invalid_argument& e) {
    r.errors().emplace_back(r.at(key), quote_input(*pattern) + " is " + e.what(), "a PCRE regular expression");
    return {};
  }
}

void read_classify(const YAML::Node& node, const std::string& path, Errors& errors, drill::PaymentsDialect& d) {
  const MapReader r(node, path, errors, {"ok_status", "declined", "retry_status", "served_by_header"});
  d.ok_status = statuses(r, "ok_status").value_or(d.ok_status);
  if (r.has("declined")) {
    const MapReader dr(r.get("declined"), r.at("declined"), errors, {"status", "body_match"});
    // Naming either replaces the whole rule: a user's "NACK" is not also the sample's 402.
    d.declined_status = statuses(dr, "status").value_or(std::vector<drill::StatusSpan>{});
    d.declined_body = read_body_match(dr, "body_match");
  }
  d.retry_status = statuses(r, "retry_status").value_or(d.retry_status);
  d.served_by_header = r.text("served_by_header").value_or(d.served_by_header);
}

void read_endpoint(const MapReader& r, const char* key, std::string& out) {
  const auto text = r.text(key);
  if (!text) return;
  if (!text->empty()) check_pattern(*text, r.at(key), r.errors(), R"(/[^\s#]*)", "a path starting with /, or empty");
  out = *text;
}

}  // namespace

PaymentsWorkload read_payments(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors,
                    {"api", "rate", "accounts", "amount_max_minor", "currency", "timeout", "retry_backoff",
                     "give_up_after", "request", "idempotency_header", "classify", "snapshot", "units"});
  PaymentsWorkload p;
  p.api = r.text("api").value_or("");
  if (!p.api.empty()) check_pattern(p.api, r.at("api"), errors, R"(https?://[^\s/?#]+(/[^\s?#]*)?)", "http(s) URL");
  p.rate = static_cast<int>(r.integer("rate", 1, 100'000, Need::required).value_or(0));
  p.accounts = static_cast<int>(r.integer("accounts", 2, 10'000'000).value_or(p.accounts));
  p.amount_max_minor = static_cast<int>(r.integer("amount_max_minor", 1, 1'000'000'000).value_or(p.amount_max_minor));
  p.currency = r.text("currency").value_or(p.currency);
  if (r.has("currency")) check_pattern(p.currency, r.at("currency"), errors, "[A-Z]{3}", "currency code");
  p.timeout = r.duration("timeout").value_or(p.timeout);
  p.retry_backoff = r.duration("retry_backoff").value_or(p.retry_backoff);
  p.give_up_after = r.duration("give_up_after").value_or(p.give_up_after);
  drill::PaymentsDialect& d = p.dialect;
  if (r.has("request")) read_request(r.get("request"), r.at("request"), errors, d);
  d.idempotency_header = r.text("idempotency_header").value_or(d.idempotency_header);
  if (!d.idempotency_header.empty()) {
    check_pattern(d.idempotency_header, r.at("idempotency_header"), errors, "[A-Za-z0-9!#$%&'*+.^_`|~-]+", "header name");
  }
  if (r.has("classify")) read_classify(r.get("classify"), r.at("classify"), errors, d);
  read_endpoint(r, "snapshot", d.snapshot);
  read_endpoint(r, "units", d.units);
  return p;
}

}  // namespace injector::playbook
