#pragma once
// The readers of the playbook's parts, one file each (playbook_yaml.cpp,
// probes_yaml.cpp, steps_yaml.cpp, inject_yaml.cpp); internal to the parser.

#include <optional>
#include <string>
#include <vector>

#include "injector/playbook/playbook.h"
#include "injector/playbook/yaml_reader.h"

namespace injector::playbook {

// Names of probes, guards and step ids.
inline constexpr const char* kIdPattern = "[a-z0-9][a-z0-9_-]{0,62}";

enum class ExpectationUse { guard, step };

std::optional<Probe> read_probe(const YAML::Node& node, const std::string& path, Errors& errors);
std::optional<Expectation> read_expectation(const YAML::Node& node, const std::string& path, Errors& errors,
                                            ExpectationUse use);
std::optional<Guard> read_guard(const YAML::Node& node, const std::string& path, Errors& errors);
// method, url, headers, body and status of an HTTP probe or run step.
HttpCall read_http_call(const MapReader& r);
// argv (required, not empty: run without a shell) and the exit status
// expected (default 0) of a command probe or run step.
void read_program(const MapReader& r, std::vector<std::string>& argv, int& status);
// "204" or "200-299".
std::optional<StatusRange> read_status_range(const MapReader& r, const char* key);

// workload.payments, with the dialect of the API it speaks (payments_yaml.cpp).
PaymentsWorkload read_payments(const YAML::Node& node, const std::string& path, Errors& errors);

Step read_step(const YAML::Node& node, const std::string& path, Errors& errors, bool in_parallel);
InjectStep read_inject(const YAML::Node& node, const std::string& path, Errors& errors);

}  // namespace injector::playbook
