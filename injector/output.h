#pragma once
// How the CLI prints daemon answers: short text for people, the daemon's JSON
// unchanged for scripts (--output json).

#include <nlohmann/json.hpp>
#include <ostream>

namespace injector::cli {

void print_fault_table(const nlohmann::json& faults, std::ostream& out);
void print_fault_detail(const nlohmann::json& fault, std::ostream& out);
void print_capabilities(const nlohmann::json& caps, std::ostream& out);
// "error: <message> (field: F; allowed: A)" from an API error body.
std::string describe_error(const nlohmann::json& body, int status);

}  // namespace injector::cli
