#pragma once
// Tolerant reading of report.json for the renderers. A report is written
// after a drill that may have been refused, interrupted or broken half way,
// so any field may be missing or null; a renderer shows "unknown" for it and
// never throws, and never shows an unknown value as 0.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace injector::report {

using Json = nlohmann::json;

// j[key] when j is an object that has it, else a null.
const Json& field(const Json& j, std::string_view key);
// j[key] when it is an array, else an empty array.
const Json& list(const Json& j, std::string_view key);
// j[key] when it is a number (not a bool), else nullopt.
std::optional<double> number(const Json& j, std::string_view key);
std::optional<std::int64_t> integer(const Json& j, std::string_view key);
// j[key] as text: a string as is, a number or bool printed, "" for null or missing.
std::string text(const Json& j, std::string_view key);
bool flag(const Json& j, std::string_view key);

// A number for people: up to `decimals` decimals, trailing zeros dropped.
std::string format_number(double v, int decimals = 3);
// "—" for nullopt, else format_number(v) followed by suffix.
std::string format_optional(std::optional<double> v, std::string_view suffix = "", int decimals = 3);
// Unix µs as "2026-12-07T22:30:45" (UTC, no zone: the JUnit schema's form).
std::string iso_utc(std::int64_t unix_us);
// us - start_us as "+12.345 s", "—" when either is unknown.
std::string relative_s(std::optional<std::int64_t> us, std::optional<std::int64_t> start_us);
// A unit of report.json's expectations as shown after a value ("s", "/s", "").
std::string unit_suffix(std::string_view unit);
// "<= 3 s", "between 0.9 and 1", from an expectation or guard's op/value/between.
std::string comparison(const Json& e);

}  // namespace injector::report
