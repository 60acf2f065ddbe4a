#pragma once
// The words of the playbook format for metrics, comparisons and invariants,
// in one table each, so the parser, its error messages and the reports agree.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "injector/playbook/playbook.h"

namespace injector::playbook {

std::string_view to_string(Metric m);  // "success_rate"; Metric::probe is "probe"
std::optional<Metric> metric_from_string(std::string_view s);  // not "probe.X": the caller splits that off
std::string metric_names();  // for "allowed": every metric and probe.<name>

std::string_view to_string(CompareOp op);  // "<=", ...
std::optional<CompareOp> op_from_string(std::string_view s);
std::string op_names();

std::string_view to_string(Invariant i);
std::optional<Invariant> invariant_from_string(std::string_view s);
std::string invariant_names();
std::vector<Invariant> all_invariants();

}  // namespace injector::playbook
