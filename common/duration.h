#pragma once
// Human durations for the CLI and playbooks: "250ms", "30s", "10m", "1h30m".

#include <chrono>
#include <string>
#include <string_view>

namespace injector {

// Throws std::invalid_argument naming the text and the units allowed.
// Zero and negative durations are rejected: a fault that lasts no time is a typo.
std::chrono::milliseconds parse_duration(std::string_view text);

// The shortest exact rendering: 90000ms -> "1m30s", 250ms -> "250ms".
std::string format_duration(std::chrono::milliseconds d);

// A point in time as UTC ISO 8601 with milliseconds: "2026-11-26T17:40:03.120Z".
std::string format_iso8601(std::chrono::system_clock::time_point t);

}  // namespace injector
