#include "daemon/http/log_limiter.h"

namespace injector::http {

std::optional<std::uint64_t> LogLimiter::admit(const std::string& key, Clock::time_point now) {
  auto [it, fresh] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (!fresh && now - e.last_line < interval_) {
    ++e.suppressed;
    return std::nullopt;
  }
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
    e.last_line = now;  // the summary is this interval's line
  }
  return out;
}

bool LogLimiter::has_suppressed() const {
  for (const auto& [key, e] : entries_) {
    if (e.suppressed > 0) return true;
  }
  return false;
}

std::string suppressed_suffix(std::uint64_t suppressed, std::chrono::steady_clock::duration interval) {
  if (suppressed == 0) return "";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval).count();
  return " (and " + std::to_string(suppressed) + " more like it in the last " +
         (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") + ", not logged one by one)";
}

}  // namespace injector::http
