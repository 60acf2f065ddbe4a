#pragma once
// Rate limiting for log lines about events a peer can cause at will
// (refused connections, failed handshakes): per key, a burst of a few lines,
// then one per interval (a token bucket), and the next line, or a summary
// once the interval has passed, says how many were left out. A flood fills
// neither the disk nor the journal, no occurrence goes uncounted, and the
// odd refusal an operator is chasing is still logged line by line.
// Pure: the caller gives the time.

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
  explicit LogLimiter(Clock::duration interval = std::chrono::seconds(1), int burst = 5)
      : interval_(interval), burst_(burst) {}

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
    double tokens = 0;  // lines that may be written now; one comes back each interval, up to burst
    Clock::time_point refilled{};
    Clock::time_point last_line{};
    std::uint64_t suppressed = 0;
  };
  void refill(Entry& e, Clock::time_point now) const;
  Clock::duration interval_;
  int burst_;
  std::map<std::string, Entry> entries_;  // keys are a fixed handful chosen by the daemon, not by peers
};

// " (and 41 more like it since the last line, not logged one by one)", or "".
std::string suppressed_suffix(std::uint64_t suppressed);

}  // namespace injector::http
