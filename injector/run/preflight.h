#pragma once
// Before a drill touches anything: every daemon answers, none carries a
// fault that is not this drill's (someone else's drill, or a fault left
// over: the drill would measure the sum and its revert would not restore
// the state the owner expects), and every host's clock is close to the
// CLI's, since activation times, RTO and the evidence compare them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "injector/fleet/fleet_client.h"
#include "injector/playbook/playbook.h"

namespace injector::run {

struct HostPreflight {
  const fleet::Host* host = nullptr;
  bool answered = false;
  std::optional<std::int64_t> clock_offset_us;  // host minus CLI, at the middle of the round trip
  std::int64_t round_trip_us = 0;
  std::vector<std::string> foreign;  // "ID (label=value,...)" of each fault it holds
  std::string problem;               // empty: fine
};

struct PreflightResult {
  std::vector<HostPreflight> hosts;
  std::vector<std::string> problems;  // one sentence each; empty: go
  bool ok() const { return problems.empty(); }
  nlohmann::json to_json() const;
};

// Refuses foreign faults unless force (or safety.allow_foreign_faults).
PreflightResult preflight(const fleet::Inventory& inv, const playbook::Safety& safety, bool force,
                          const fleet::CallOptions& calls);

}  // namespace injector::run
