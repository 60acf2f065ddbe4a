#pragma once
// Strict reading of one JSON object: typed getters that name the JSON path in
// their FieldError, and a final check that refuses keys nobody asked for.

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "common/field_error.h"
#include "common/input_limits.h"
#include "common/strings.h"

namespace injector {

class JsonObjectReader {
 public:
  JsonObjectReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw FieldError(path_.empty() ? "body" : path_, "expected a JSON object");
  }
  // nullptr when absent or null.
  const nlohmann::json* optional(const std::string& key) {
    seen_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  std::optional<std::string> optional_string(const std::string& key) {
    const nlohmann::json* v = optional(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw FieldError(at(key), "expected a string");
    return v->get<std::string>();
  }
  std::string string(const std::string& key) {
    auto v = optional_string(key);
    if (!v) throw FieldError(at(key), "is required");
    return *v;
  }
  double number(const std::string& key, double fallback) {
    const nlohmann::json* v = optional(key);
    if (!v) return fallback;
    if (!v->is_number()) throw FieldError(at(key), "expected a number");
    return v->get<double>();
  }
  // An integer in [min, max]; fractions and out-of-range values are errors, not truncations.
  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    const nlohmann::json* v = optional(key);
    if (!v) return fallback;
    const bool fits = v->is_number_integer() &&
                      !(v->is_number_unsigned() && v->get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()));
    if (!fits || v->get<std::int64_t>() < min || v->get<std::int64_t>() > max) {
      throw FieldError(at(key), "expected an integer", std::to_string(min) + " to " + std::to_string(max));
    }
    return v->get<std::int64_t>();
  }
  std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void reject_unknown(const std::string& allowed) const {
    for (const auto& [key, value] : j_.items()) {
      // A key too long to quote in full is still named, cut short.
      if (!seen_.count(key)) throw FieldError(at(printable(key)), "unknown field", allowed);
    }
  }

 private:
  const nlohmann::json& j_;
  std::string path_;
  std::set<std::string> seen_;
};

}  // namespace injector
