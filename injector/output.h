#pragma once
// How the CLI prints daemon answers: short text for people, the daemon's JSON
// unchanged for scripts (--output json).

#include <nlohmann/json.hpp>
#include <ostream>

namespace injector::cli {

// An apply answer's `warnings`, one "injector: warning: ..." line each (on
// stderr, so stdout keeps only the id or the JSON, which carries them too).
void print_warnings(const nlohmann::json& answer, std::ostream& err);
void print_fault_table(const nlohmann::json& faults, std::ostream& out);
void print_fault_detail(const nlohmann::json& fault, std::ostream& out);
void print_capabilities(const nlohmann::json& caps, std::ostream& out);
// "error: <message> (field: F; allowed: A)" from an API error body.
std::string describe_error(const nlohmann::json& body, int status);

}  // namespace injector::cli
