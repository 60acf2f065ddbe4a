#include "common/units.h"
#include "common/strings.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace injector {
namespace {

// A non-negative decimal number followed by one of the units (longest listed first).
template <std::size_t N>
double scaled(std::string_view text, const std::array<std::pair<std::string_view, double>, N>& units,
              std::string_view what, std::string_view example) {
  const std::string s(text);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  const std::string_view unit(end, static_cast<std::size_t>(s.c_str() + s.size() - end));
  if (end == s.c_str() || !std::isfinite(value) || value < 0) {
    throw std::invalid_argument(std::string(what) + " " + quote_input(s) + " is not a non-negative number with a unit (e.g. " +
                                std::string(example) + ")");
  }
  for (const auto& [name, factor] : units) {
    if (unit == name) return value * factor;
  }
  std::string names;
  for (const auto& [name, factor] : units) names += (names.empty() ? "" : ", ") + std::string(name.empty() ? "none" : name);
  if (unit.empty()) {
    // "--delay 30": say which units would do, with the number the user typed
    // (a short one: anything longer is not a number worth repeating).
    const std::string number = s.size() <= 20 ? std::string(s) : std::string("N");
    std::string examples;
    for (const auto& [name, factor] : units) examples += (examples.empty() ? "" : ", ") + number + std::string(name);
    throw std::invalid_argument(std::string(what) + " " + quote_input(s) + " has no unit: write it with one, e.g. " +
                                examples);
  }
  throw std::invalid_argument(std::string(what) + " " + quote_input(s) + ": unknown unit " + quote_input(unit) +
                              " (units: " + names + ")");
}

}  // namespace

std::chrono::microseconds parse_micros(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 3> kUnits{{{"us", 1}, {"ms", 1e3}, {"s", 1e6}}};
  const double us = scaled(text, kUnits, "time", "30ms, 500us, 1.5s");
  if (us > 3.6e9) throw std::invalid_argument("time " + quote_input(text) + " is longer than an hour");
  return std::chrono::microseconds(std::llround(us));
}

double parse_percent(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 2> kUnits{{{"%", 1}, {"", 1}}};
  const double pct = scaled(text, kUnits, "percentage", "5%, 0.1%");
  if (pct > 100) throw std::invalid_argument("percentage " + quote_input(text) + " is over 100%");
  return pct;
}

std::uint64_t parse_rate_bps(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 4> kUnits{
      {{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}};
  const double bps = scaled(text, kUnits, "rate", "10mbit, 512kbit, 1gbit");
  if (bps > 1e15) throw std::invalid_argument("rate " + quote_input(text) + " is beyond any link (over 1 Pbit/s)");
  return static_cast<std::uint64_t>(std::llround(bps));
}

std::uint32_t parse_size_bytes(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 4> kUnits{
      {{"mb", 1024.0 * 1024}, {"kb", 1024}, {"b", 1}, {"", 1}}};
  const double bytes = scaled(text, kUnits, "size", "32kb, 1500b");
  if (bytes > 1024.0 * 1024 * 1024) throw std::invalid_argument("size " + quote_input(text) + " is over 1 GiB");
  return static_cast<std::uint32_t>(std::llround(bytes));
}

}  // namespace injector
