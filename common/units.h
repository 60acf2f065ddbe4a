#pragma once
// The units operators type, shared by the CLI and (later) playbooks:
// "30ms" / "500us" / "1.5s" delays, "5%" probabilities, "10mbit" rates,
// "32kb" sizes. Each throws std::invalid_argument saying what is accepted.

#include <chrono>
#include <cstdint>
#include <string_view>

namespace injector {

std::chrono::microseconds parse_micros(std::string_view text);  // us, ms, s; fractions allowed; >= 0
double parse_percent(std::string_view text);                    // "5%", "5", "0.5%": 0 to 100
std::uint64_t parse_rate_bps(std::string_view text);            // bit, kbit, mbit, gbit (1000-based)
std::uint32_t parse_size_bytes(std::string_view text);          // b, kb, mb (1024-based)

}  // namespace injector
