#include "injector/playbook/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <set>

#include "common/duration.h"
#include "common/input_limits.h"
#include "common/units.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

std::string joined(std::initializer_list<const char*> keys, const char* sep = ", ") {
  std::string out;
  for (const char* k : keys) out += (out.empty() ? "" : sep) + std::string(k);
  return out;
}

std::string kind_of(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

bool is_zero_duration(const std::string& text) {
  static const std::regex kZero("(0+(ms|s|m|h))+");
  return std::regex_match(text, kZero);
}

}  // namespace

std::optional<std::string> scalar_text(const YAML::Node& node, const std::string& path, Errors& errors) {
  if (node && node.IsScalar()) return node.Scalar();
  errors.emplace_back(path, "expected a single value, found " + kind_of(node));
  return std::nullopt;
}

std::optional<Millis> duration_value(const YAML::Node& node, const std::string& path, Errors& errors, Zero zero) {
  const auto text = scalar_text(node, path, errors);
  if (!text) return std::nullopt;
  if (zero == Zero::allowed && is_zero_duration(*text)) return Millis{0};
  try {
    return parse_duration(*text);
  } catch (const std::invalid_argument&) {
    errors.emplace_back(path, quote_input(*text) + " is not a duration",
                        std::string("a number with a unit ms, s, m or h, such as 250ms, 2s, 5m, 1h30m") +
                            (zero == Zero::allowed ? ", or 0s" : ", more than 0"));
    return std::nullopt;
  }
}

std::optional<long long> integer_value(const YAML::Node& node, const std::string& path, Errors& errors, long long min,
                                       long long max) {
  const auto text = scalar_text(node, path, errors);
  if (!text) return std::nullopt;
  long long v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  const std::string allowed = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size()) {
    errors.emplace_back(path, quote_input(*text) + " is not a whole number", allowed);
    return std::nullopt;
  }
  if (v < min || v > max) {
    errors.emplace_back(path, std::to_string(v) + " is out of range", allowed);
    return std::nullopt;
  }
  return v;
}

std::optional<double> number_value(const YAML::Node& node, const std::string& path, Errors& errors) {
  const auto text = scalar_text(node, path, errors);
  if (!text) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || !std::isfinite(v)) {
    errors.emplace_back(path, quote_input(*text) + " is not a number", "a number such as 3, 0.99 or -1.5");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> bool_value(const YAML::Node& node, const std::string& path, Errors& errors) {
  const auto text = scalar_text(node, path, errors);
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  errors.emplace_back(path, quote_input(*text) + " is not a boolean", "true or false");
  return std::nullopt;
}

std::optional<double> fraction_value(const YAML::Node& node, const std::string& path, Errors& errors) {
  const auto text = scalar_text(node, path, errors);
  if (!text) return std::nullopt;
  const char* allowed = "a percentage such as \"90%\", or a fraction from 0 to 1";
  if (text->ends_with('%')) {
    try {
      return parse_percent(*text) / 100;
    } catch (const std::invalid_argument&) {
      errors.emplace_back(path, quote_input(*text) + " is not a percentage", allowed);
      return std::nullopt;
    }
  }
  Errors ignored;
  const auto v = number_value(node, path, ignored);
  if (!v || *v < 0 || *v > 1) {
    errors.emplace_back(path, quote_input(*text) + " is not a fraction", allowed);
    return std::nullopt;
  }
  return v;
}

bool expect_list(const YAML::Node& node, const std::string& path, Errors& errors, const char* of_what) {
  if (node.IsSequence()) return true;
  errors.emplace_back(path, std::string("expected a list of ") + of_what + ", found " +
                                (node.IsScalar() ? "a single value" : kind_of(node)));
  return false;
}

std::optional<std::vector<std::string>> string_list(const YAML::Node& node, const std::string& path, Errors& errors) {
  if (!expect_list(node, path, errors, "strings")) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto s = scalar_text(node[i], index_path(path, i), errors);
    ok = ok && s.has_value();
    if (s) out.push_back(*s);
  }
  return ok ? std::optional(out) : std::nullopt;
}

std::optional<StringMap> string_map(const YAML::Node& node, const std::string& path, Errors& errors) {
  if (!node.IsMap()) {
    errors.emplace_back(path, "expected a mapping of NAME: VALUE, found " + (node.IsScalar() ? std::string("a single value") : kind_of(node)));
    return std::nullopt;
  }
  StringMap out;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (const auto v = scalar_text(kv.second, key_path(path, key), errors)) out[key] = *v;
  }
  return out;
}

void check_pattern(const std::string& value, const std::string& path, Errors& errors, const char* pattern,
                   const char* what) {
  if (!std::regex_match(value, std::regex(pattern))) {
    errors.emplace_back(path, quote_input(value) + " is not a valid " + what, pattern);
  }
}

MapReader::MapReader(const YAML::Node& node, std::string path, Errors& errors, std::initializer_list<const char*> keys)
    : node_(node), path_(std::move(path)), errors_(errors) {
  if (node_ && !node_.IsNull() && !node_.IsMap()) {
    errors_.emplace_back(path_.empty() ? "playbook" : path_, "expected a mapping, found " +
                                                                 (node_.IsScalar() ? std::string("a single value") : kind_of(node_)));
    return;
  }
  ok_ = true;
  if (!node_.IsMap()) return;
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find_if(keys.begin(), keys.end(), [&](const char* k) { return key == k; }) == keys.end()) {
      errors_.emplace_back(at(key), "unknown key", joined(keys));
    } else if (!seen.insert(key).second) {
      errors_.emplace_back(at(key), "appears twice");
    }
  }
}

bool MapReader::has(std::string_view key) const {
  const YAML::Node v = get(key);
  return v && !v.IsNull();
}

YAML::Node MapReader::get(std::string_view key, Need need) const {
  // Copy-constructed, never assigned: assigning a yaml-cpp node rebinds what it refers to.
  const YAML::Node v = ok_ && node_.IsMap() ? node_[std::string(key)] : YAML::Node(YAML::NodeType::Undefined);
  if (need == Need::required && ok_ && (!v || v.IsNull())) errors_.emplace_back(at(key), "is required");
  return v && !v.IsNull() ? v : YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::string> MapReader::text(std::string_view key, Need need) const {
  const YAML::Node v = get(key, need);
  return v ? scalar_text(v, at(key), errors_) : std::nullopt;
}

std::optional<Millis> MapReader::duration(std::string_view key, Need need, Zero zero) const {
  const YAML::Node v = get(key, need);
  return v ? duration_value(v, at(key), errors_, zero) : std::nullopt;
}

std::optional<long long> MapReader::integer(std::string_view key, long long min, long long max, Need need) const {
  const YAML::Node v = get(key, need);
  return v ? integer_value(v, at(key), errors_, min, max) : std::nullopt;
}

std::optional<double> MapReader::number(std::string_view key, Need need) const {
  const YAML::Node v = get(key, need);
  return v ? number_value(v, at(key), errors_) : std::nullopt;
}

std::optional<bool> MapReader::boolean(std::string_view key) const {
  const YAML::Node v = get(key);
  return v ? bool_value(v, at(key), errors_) : std::nullopt;
}

std::optional<double> MapReader::fraction(std::string_view key) const {
  const YAML::Node v = get(key);
  return v ? fraction_value(v, at(key), errors_) : std::nullopt;
}

std::optional<std::vector<std::string>> MapReader::strings(std::string_view key, Need need) const {
  const YAML::Node v = get(key, need);
  return v ? string_list(v, at(key), errors_) : std::nullopt;
}

std::optional<StringMap> MapReader::map(std::string_view key) const {
  const YAML::Node v = get(key);
  return v ? string_map(v, at(key), errors_) : std::nullopt;
}

std::string MapReader::one_of(std::initializer_list<const char*> keys) const {
  std::vector<std::string> present;
  for (const char* k : keys) {
    if (has(k)) present.emplace_back(k);
  }
  if (present.size() == 1) return present.front();
  if (!ok_) return {};
  const std::string where = path_.empty() ? "playbook" : path_;
  if (present.empty()) {
    errors_.emplace_back(where, "needs exactly one of " + joined(keys, " | "), joined(keys));
  } else {
    errors_.emplace_back(where, "has both " + present[0] + " and " + present[1] + "; exactly one is allowed", joined(keys));
  }
  return {};
}

}  // namespace injector::playbook
