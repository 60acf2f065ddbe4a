#pragma once
// How fleet commands print: a line per host for people, one JSON document for
// scripts (--output json).

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "injector/fleet/operations.h"

namespace injector::fleet {

nlohmann::json plan_json(const Plan& plan);
void print_plan(const Plan& plan, std::ostream& out);

nlohmann::json apply_json(const Plan& plan, const ApplyReport& report);
void print_apply(const Plan& plan, const ApplyReport& report, std::ostream& out);

// Per-host answers of status (GET /v1/faults) or revert (DELETE).
nlohmann::json results_json(const std::vector<HostResult>& results);
void print_status(const std::vector<HostResult>& results, std::ostream& out);
// `expired`: the hold ran to its end (--for), so a host with nothing left to
// revert had ended the fault itself, as planned, rather than lost it.
void print_reverted(const std::vector<HostResult>& results, std::ostream& out, bool expired = false);

std::string format_time(Clock::time_point t);  // ISO 8601 UTC with microseconds

}  // namespace injector::fleet
