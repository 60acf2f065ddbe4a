#pragma once
// Calls many daemons at once: one request per host, all in flight together
// (a bounded pool of threads, each blocking on its own connection), so a
// fleet of hundreds takes about as long as its slowest host, not their sum.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "injector/fleet/inventory.h"

namespace injector::fleet {

using Clock = std::chrono::system_clock;

// Unix microseconds, the unit of the daemons' activation times.
inline std::int64_t unix_us(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

struct HostCall {
  const Host* host = nullptr;
  std::string method;
  std::string target;
  std::string body;
};

struct HostResult {
  const Host* host = nullptr;
  int status = 0;             // HTTP status; 0 when the daemon could not be reached
  nlohmann::json body;        // the daemon's answer (null when none)
  std::string error;          // why it failed, in words; empty on 2xx
  Clock::time_point sent{};   // when the request was sent
  Clock::time_point answered{};
  bool ok() const { return status >= 200 && status < 300; }
};

struct CallOptions {
  std::chrono::milliseconds timeout{10'000};
  std::size_t parallel = 256;  // requests in flight at once
  // Start every thread first and release them together (for commits, so the
  // requests leave at the same moment); `released` receives that moment.
  bool together = false;
  Clock::time_point* released = nullptr;
};

// Results in the order of `calls`. Never throws for a host's failure; it is in
// that host's result.
std::vector<HostResult> call_all(const std::vector<HostCall>& calls, const CallOptions& options = {});

// One request to each host of the inventory.
std::vector<HostResult> call_each(const Inventory& inv, const std::string& method, const std::string& target,
                                  const CallOptions& options = {});

}  // namespace injector::fleet
