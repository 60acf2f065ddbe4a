#include "daemon/http/log_limiter.h"

#include <algorithm>

namespace injector::http {

void LogLimiter::refill(Entry& e, Clock::time_point now) const {
  const double earned = std::chrono::duration<double>(now - e.refilled) / std::chrono::duration<double>(interval_);
  e.tokens = std::min<double>(burst_, e.tokens + earned);
  e.refilled = now;
}

std::optional<std::uint64_t> LogLimiter::admit(const std::string& key, Clock::time_point now) {
  auto [it, fresh] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (fresh) {
    e.tokens = burst_;
    e.refilled = now;
  }
  refill(e, now);
  if (e.tokens < 1) {
    ++e.suppressed;
    return std::nullopt;
  }
  e.tokens -= 1;
  e.last_line = now;
  const std::uint64_t left_out = e.suppressed;
  e.suppressed = 0;
  return left_out;
}

std::vector<std::pair<std::string, std::uint64_t>> LogLimiter::take_overdue(Clock::time_point now) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (auto& [key, e] : entries_) {
    if (e.suppressed == 0 || now - e.last_line < interval_) continue;
    out.emplace_back(key, e.suppressed);
    e.suppressed = 0;
    e.last_line = now;  // the summary spends this interval's line
    refill(e, now);
    e.tokens = std::max(0.0, e.tokens - 1);
  }
  return out;
}

bool LogLimiter::has_suppressed() const {
  for (const auto& [key, e] : entries_) {
    if (e.suppressed > 0) return true;
  }
  return false;
}

std::string suppressed_suffix(std::uint64_t suppressed) {
  if (suppressed == 0) return "";
  return " (and " + std::to_string(suppressed) + " more like it since the last line, not logged one by one)";
}

}  // namespace injector::http
