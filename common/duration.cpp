#include "common/duration.h"
#include "common/strings.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace injector {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};
// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 4> kUnits{{{"ms", 1}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}}};
constexpr std::int64_t kMaxMs = std::int64_t{365} * 24 * 3'600'000;  // a year: anything longer is a typo

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw std::invalid_argument("duration " + quote_input(text) + ": " + why +
                              " (use a number with a unit: ms, s, m, h; e.g. 500ms, 30s, 10m, 1h30m)");
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text) {
  if (text.empty()) bad(text, "empty");
  std::int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc() || end == rest.data()) bad(text, "expected a number at " + quote_input(rest));
    if (value < 0) bad(text, "must be positive");
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (rest.starts_with(u.name)) {
        unit = &u;
        break;
      }
    }
    if (!unit) bad(text, rest.empty() ? "missing unit" : "unknown unit at " + quote_input(rest));
    rest.remove_prefix(unit->name.size());
    if (value > kMaxMs / unit->ms || total > kMaxMs - value * unit->ms) bad(text, "longer than a year");
    total += value * unit->ms;
  }
  if (total == 0) bad(text, "must be longer than zero");
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms <= 0) return std::to_string(ms) + "ms";
  std::string out;
  for (const auto& u : {Unit{"h", 3'600'000}, Unit{"m", 60'000}, Unit{"s", 1'000}, Unit{"ms", 1}}) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + std::string(u.name);
      ms %= u.ms;
    }
  }
  return out;
}

std::string format_iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace injector
