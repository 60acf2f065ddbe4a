#pragma once
// Totals the fault engine keeps for GET /metrics. They outlive the faults
// they count: a revert adds the fault's last counts to a retired total, so a
// Prometheus counter never goes backwards when a fault goes away.

#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <utility>

#include "common/impairments.h"

namespace injector {

// What a fault did to the packets it matched, summed over its sides.
struct TrafficTotals {
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_dropped = 0;
  std::uint64_t packets_delayed = 0;  // the delay line counts these; netem does not
  TrafficTotals& operator+=(const TrafficTotals& o);
};

struct EngineStats {
  std::uint64_t applies = 0;            // faults applied on request (resumed ones not counted)
  std::uint64_t reverts = 0;            // faults reverted, for whatever reason
  std::uint64_t lifetime_expiries = 0;  // reverted because their lifetime ended
  // (operation, reason) -> count; operation apply|revert, reason invalid|conflict|unsupported|not_found|kernel.
  std::map<std::pair<std::string, std::string>, std::uint64_t> failures;
  // (device, backend) -> what reverted faults had counted.
  std::map<std::pair<std::string, std::string>, TrafficTotals> retired;
};

// A stable name for a fault's impairments: "cut", "delay+loss", ...
std::string fault_kind(const Impairments& imp);

// The failure in flight (call inside a catch block) as a metrics reason.
std::string failure_reason(std::exception_ptr error);

}  // namespace injector
