#pragma once
// The tables of report.html (internal to injector/report): each returns a
// <section> with every user string escaped; times relative to the run's start.

#include <string>
#include <vector>

#include "injector/report/fields.h"

namespace injector::report::html {

std::string steps_table(const Json& report);
std::string faults_table(const Json& report);
std::string failover_table(const Json& report);
std::string expectations_table(const Json& report);
std::string guards_table(const Json& report);
std::string invariants_table(const Json& report);
std::string rollback_section(const Json& report);
std::string probes_table(const Json& report);
std::string run_section(const Json& report);

// A <section> with a title and a table, or empty_note when there are no rows.
std::string table(const std::string& id, const std::string& title, const std::vector<std::string>& headers,
                  const std::string& rows, const std::string& empty_note);
// A result word in a coloured badge: pass/ok/confirmed green, fail red, anything else amber.
std::string badge(const std::string& result);
// <td> with escaped text.
std::string td(const std::string& text);
// The run's start in Unix µs, if known.
std::optional<std::int64_t> start_of(const Json& report);

}  // namespace injector::report::html
