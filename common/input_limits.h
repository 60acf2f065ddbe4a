#pragma once
// Every limit on what a request may carry, in one place: the CLI and the
// daemon check against these same numbers, and docs/api.md lists them in a
// table ("Input limits"). A value outside them is refused naming its field.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace injector::limits {

// The HTTP request. 65,536 IPv6 targets of the longest form fit in one list
// with room to spare (about 3.4 MB); 10,000 take about 0.5 MB.
inline constexpr std::size_t kMaxBodyBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;

// The fault spec.
inline constexpr std::size_t kMaxTargets = 65'536;   // per CIDR list (match.to, match.from)
inline constexpr std::size_t kMaxCidrText = 64;      // one CIDR string; the longest IPv6 form is 49
inline constexpr std::size_t kMaxDeviceName = 15;    // IFNAMSIZ - 1
inline constexpr std::size_t kMaxLabels = 32;
inline constexpr std::size_t kMaxLabelKey = 63;
inline constexpr std::size_t kMaxLabelValue = 255;
inline constexpr std::size_t kMaxLabelFilters = kMaxLabels;  // ?label=K=V parameters in one query
inline constexpr std::chrono::milliseconds kMinLease{100};
inline constexpr std::chrono::milliseconds kMaxLease{3'600'000};

// Impairments.
inline constexpr std::chrono::microseconds kMaxDelay = std::chrono::seconds(60);  // time_us and jitter_us each
inline constexpr std::uint64_t kMinRateBps = 1'000;
inline constexpr std::uint64_t kMaxRateBps = 100'000'000'000ull;
inline constexpr std::uint32_t kMaxBurstBytes = 64u << 20;
inline constexpr std::uint32_t kMaxReorderGap = 1'000'000;
inline constexpr std::chrono::milliseconds kMinFlapPeriod{100};
inline constexpr std::chrono::milliseconds kMaxFlapPeriod = std::chrono::hours(1);

// How much of a refused value an error message quotes: a megabyte-long
// "device" must not come back in the answer and the logs.
inline constexpr std::size_t kMaxQuoted = 64;

// The start of a long text, cut on a UTF-8 character boundary: half a
// character would make the error answer invalid JSON text (nlohmann's dump()
// throws on it).
inline std::string shortened(std::string_view text) {
  if (text.size() <= kMaxQuoted) return std::string(text);
  std::size_t cut = kMaxQuoted;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // a continuation byte
  return std::string(text.substr(0, cut)) + "...";
}

inline std::string quoted(std::string_view text) {
  if (text.size() <= kMaxQuoted) return "'" + std::string(text) + "'";
  return "'" + shortened(text) + "' (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace injector::limits
