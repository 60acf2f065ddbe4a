#pragma once
// Rate limiting for log lines about events a peer can cause at will
// (refused connections, failed handshakes): at most one line per key per
// interval, and the next line, or a summary once the interval has passed,
// says how many were left out. A flood fills neither the disk nor the
// journal, and no occurrence goes uncounted. Pure: the caller gives the time.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace injector::http {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimiter(Clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}

  // When a line about `key` may be written now: how many were suppressed
  // since the last one. Nothing: suppressed (and counted).
  std::optional<std::uint64_t> admit(const std::string& key, Clock::time_point now);
  // Keys with suppressed occurrences whose interval has passed, with their
  // counts (which restart at zero): the summary lines a quiet moment owes.
  std::vector<std::pair<std::string, std::uint64_t>> take_overdue(Clock::time_point now);
  // Whether any occurrence waits to be summarised.
  bool has_suppressed() const;
  Clock::duration interval() const { return interval_; }

 private:
  struct Entry {
    Clock::time_point last_line{};
    std::uint64_t suppressed = 0;
  };
  Clock::duration interval_;
  std::map<std::string, Entry> entries_;  // keys are a fixed handful chosen by the daemon, not by peers
};

// " (and 41 more like it in the last 1 s, not logged one by one)", or "".
std::string suppressed_suffix(std::uint64_t suppressed, std::chrono::steady_clock::duration interval);

}  // namespace injector::http
