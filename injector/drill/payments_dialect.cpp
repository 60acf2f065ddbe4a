#include "injector/drill/payments_dialect.h"

#include "common/strings.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <nlohmann/json.hpp>

#include "injector/drill/payments_api.h"

namespace injector::drill {

// nlohmann's dump of the sample's request, so a default run sends exactly
// the bytes it sent before the dialect existed.
const char* const kSampleBody =
    R"({"amount_minor":{{amount_minor}},"currency":"{{currency}}","from":{{from}},"to":{{to}}})";
const char* const kSampleDeclinedBody = R"("status"\s*:\s*"declined")";

const char* placeholder_names() { return "{{from}}, {{to}}, {{amount_minor}}, {{currency}}, {{key}}"; }

Template::Template(const std::string& text) : text_(text) {
  static const std::pair<const char*, Field> kNames[] = {{"from", Field::kFrom},
                                                         {"to", Field::kTo},
                                                         {"amount_minor", Field::kAmount},
                                                         {"currency", Field::kCurrency},
                                                         {"key", Field::kKey}};
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("{{", at);
    if (open == std::string::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string::npos) throw std::invalid_argument("'{{' without '}}'");
    const std::string name = text.substr(open + 2, close - open - 2);
    const auto known = std::find_if(std::begin(kNames), std::end(kNames), [&](const auto& n) { return name == n.first; });
    if (known == std::end(kNames)) throw std::invalid_argument("unknown placeholder {{" + name + "}}");
    if (open > at) pieces_.emplace_back(Field::kLiteral, text.substr(at, open - at));
    pieces_.emplace_back(known->second, "");
    at = close + 2;
  }
  if (at < text.size()) pieces_.emplace_back(Field::kLiteral, text.substr(at));
}

namespace {

// A JSON string's content without its quotes: the template writes the quotes.
std::string escaped(const std::string& value, Escape escape) {
  if (escape == Escape::kJson) {
    const std::string quoted = nlohmann::json(value).dump();
    return quoted.substr(1, quoted.size() - 2);
  }
  if (escape == Escape::kNone) return value;
  return percent_encode(value);
}

}  // namespace

std::string Template::render(const PaymentRequest& r, const std::string& key, Escape escape) const {
  std::string out;
  out.reserve(text_.size() + 32);
  for (const auto& [field, literal] : pieces_) {
    switch (field) {
      case Field::kLiteral: out += literal; break;
      case Field::kFrom: out += std::to_string(r.from); break;
      case Field::kTo: out += std::to_string(r.to); break;
      case Field::kAmount: out += std::to_string(r.amount_minor); break;
      case Field::kCurrency: out += escaped(r.currency, escape); break;
      case Field::kKey: out += escaped(key, escape); break;
    }
  }
  return out;
}

bool status_in(const std::vector<StatusSpan>& spans, int status) {
  for (const StatusSpan& s : spans) {
    if (status >= s.low && status <= s.high) return true;
  }
  return false;
}

BodyMatch::BodyMatch(const std::string& pattern) : pattern_(pattern) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code,
                                       &offset, nullptr);
  if (!compiled) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof buf);
    throw std::invalid_argument("not a regular expression: " + std::string(reinterpret_cast<const char*>(buf)) +
                                " at offset " + std::to_string(offset));
  }
  code_ = std::shared_ptr<void>(compiled, [](void* c) { pcre2_code_free(static_cast<pcre2_code*>(c)); });
}

bool BodyMatch::found_in(const std::string& text) const {
  if (!code_) return false;
  auto* code = static_cast<const pcre2_code*>(code_.get());
  // Match data per call: the pattern is shared by the workload's threads.
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(code, nullptr), &pcre2_match_data_free);
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, data.get(), nullptr);
  return rc >= 0;
}

PaymentsDialect::PaymentsDialect()
    : path("/v1/payments"), body(kSampleBody), declined_body(kSampleDeclinedBody) {}

const PaymentsDialect& sample_dialect() {
  static const PaymentsDialect sample;
  return sample;
}

}  // namespace injector::drill
