#pragma once
// A run's report directory: report.json (pretty), junit.xml, timeline.svg and
// report.html, all from the same document.

#include <nlohmann/json.hpp>

#include <string>

namespace injector::report {

// Creates dir if it is missing. Throws std::runtime_error naming the file
// (or the directory) that could not be written.
void write_report_files(const std::string& dir, const nlohmann::json& report);

}  // namespace injector::report
