#include "injector/report/fields.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace injector::report {

namespace {
const Json kNull;
const Json kEmptyArray = Json::array();
}  // namespace

const Json& field(const Json& j, std::string_view key) {
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const Json& list(const Json& j, std::string_view key) {
  const Json& v = field(j, key);
  return v.is_array() ? v : kEmptyArray;
}

std::optional<double> number(const Json& j, std::string_view key) {
  const Json& v = field(j, key);
  if (!v.is_number()) return std::nullopt;
  const double d = v.get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<std::int64_t> integer(const Json& j, std::string_view key) {
  const Json& v = field(j, key);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && std::fabs(d) < 9.0e18) return static_cast<std::int64_t>(std::llround(d));
  }
  return std::nullopt;
}

std::string text(const Json& j, std::string_view key) {
  const Json& v = field(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  // Names from YAML can arrive as numbers or bools (`name: 2024`).
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool flag(const Json& j, std::string_view key) {
  const Json& v = field(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::string format_number(double v, int decimals) {
  if (!std::isfinite(v)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string format_optional(std::optional<double> v, std::string_view suffix, int decimals) {
  if (!v) return "—";
  std::string s = format_number(*v, decimals);
  if (!suffix.empty()) s.append(suffix.front() == '/' || suffix.front() == '%' ? "" : " ").append(suffix);
  return s;
}

std::string iso_utc(std::int64_t unix_us) {
  const std::time_t secs = static_cast<std::time_t>(unix_us / 1'000'000 - (unix_us % 1'000'000 < 0 ? 1 : 0));
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return "1970-01-01T00:00:00";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string relative_s(std::optional<std::int64_t> us, std::optional<std::int64_t> start_us) {
  if (!us || !start_us) return "—";
  const double s = static_cast<double>(*us - *start_us) / 1e6;
  return (s >= 0 ? "+" : "") + format_number(s, 3) + " s";
}

std::string unit_suffix(std::string_view unit) {
  if (unit == "s") return "s";
  if (unit == "per_s") return "/s";
  if (unit == "ms") return "ms";
  return "";  // fraction, count: bare numbers
}

std::string comparison(const Json& e) {
  const std::string unit = unit_suffix(text(e, "unit"));
  const Json& between = field(e, "between");
  if (between.is_array() && between.size() == 2 && between[0].is_number() && between[1].is_number()) {
    return "between " + format_number(between[0].get<double>()) + " and " +
           format_optional(between[1].get<double>(), unit);
  }
  const std::string op = text(e, "op");
  return (op.empty() ? "?" : op) + " " + format_optional(number(e, "value"), unit);
}

}  // namespace injector::report
