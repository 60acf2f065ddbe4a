#pragma once
// The few lines a drill ends with: the verdict and why, the figures a game
// day is judged by, where the report is.

#include <nlohmann/json.hpp>

#include <iosfwd>

namespace injector::run {

void print_summary(const nlohmann::json& report, std::ostream& out);

}  // namespace injector::run
