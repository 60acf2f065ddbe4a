#pragma once
// Inside the probes: one function per kind, and what they share. Not for use
// outside injector/drill/probe_*.cpp and probes.cpp.

#include <chrono>
#include <optional>
#include <string>

#include "injector/drill/probes.h"

namespace injector::drill::probe_detail {

// What one check saw; run_probe_once adds the name and the times.
struct Observation {
  Observed observed = Observed::kUnknown;
  std::string detail;
  std::optional<double> value;
};

Observation check_http(const playbook::HttpProbe& p, std::chrono::milliseconds timeout);
Observation check_command(const playbook::CommandProbe& p, std::chrono::milliseconds timeout);
Observation check_prometheus(const playbook::PrometheusProbe& p, std::chrono::milliseconds timeout);

// "http://host:port/a/b?c" -> {"http://host:port", "/a/b?c"} (the path is
// "/" when the URL has none). nullopt when the scheme is not http or https
// or there is no host.
struct SplitUrl {
  std::string origin, path;
};
std::optional<SplitUrl> split_url(const std::string& url);

// Regexes are searched (not matched whole) in at most this much of a body or
// of stdout, bytes as they are (no UTF-8 decoding).
inline constexpr std::size_t kMatchLimit = 64 * 1024;

// Whether `pattern` occurs in the first kMatchLimit bytes of `text`. PCRE2,
// not std::regex: libstdc++'s matcher recurses per character and overflows
// an 8 MiB stack on a 16 KiB body with ".*ok"; PCRE2 has no such limit and
// gives up on a pathological pattern instead of running for minutes. Its
// syntax is Perl's, which reads the ECMAScript patterns playbooks use alike.
// nullopt when it cannot tell; `why` then says why (not a valid regex, or
// the search exceeded its limit).
std::optional<bool> regex_found(const std::string& pattern, const std::string& text, std::string* why = nullptr);

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since);

}  // namespace injector::drill::probe_detail
