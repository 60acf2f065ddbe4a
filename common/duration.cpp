#include "common/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
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
  throw std::invalid_argument("duration '" + std::string(text) + "': " + why +
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
    if (ec != std::errc() || end == rest.data()) bad(text, "expected a number at '" + std::string(rest) + "'");
    if (value < 0) bad(text, "must be positive");
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (rest.starts_with(u.name)) {
        unit = &u;
        break;
      }
    }
    if (!unit) bad(text, rest.empty() ? "missing unit" : "unknown unit at '" + std::string(rest) + "'");
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

}  // namespace injector
