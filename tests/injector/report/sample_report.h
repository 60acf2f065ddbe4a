#pragma once
// A made-up report.json in the contract's format (REPORT-SPEC, issue 14) for
// the renderers' tests and for report_sample: 3 datacenters over 60 s, two
// faults (a cut of hz, then a delay between hz and sz that a guard ends
// early), expectations that pass, fail and could not be decided, invariants,
// failover figures, and user text full of markup characters.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace injector::report::testing {

inline constexpr std::int64_t kSampleStartUs = 1'796'680'000'000'000;  // 2026-12-07T21:46:40Z

// The strings the sample carries where user text goes: every one must come
// out of every renderer intact (escaped, not interpreted).
inline constexpr const char* kTrickyText = "p99 <= 50ms & \"fast\" 'ok' </td></table><script>x</script>";

nlohmann::json sample_report();

// How many times `what` occurs in `text` (overlaps included).
inline int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace injector::report::testing
