#pragma once
// Every limit on what a request may carry, in one place: the CLI and the
// daemon check against these same numbers, and docs/api.md lists them in a
// table ("Input limits"). A value outside them is refused naming its field.

#include <chrono>
#include <cstddef>
#include <cstdint>

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

// How much of a refused value an error message quotes (common/strings.h
// quote_input()): a megabyte-long "device" must not come back in the answer and the logs.
inline constexpr std::size_t kMaxQuoted = 64;
// A file name the user gave is quoted whole (PATH_MAX): its end is what tells two apart.
inline constexpr std::size_t kMaxQuotedPath = 4096;
// A request target in the daemon's log: room for a few label filters, not for 16 KiB per line.
inline constexpr std::size_t kMaxLoggedTarget = 256;

}  // namespace injector::limits
