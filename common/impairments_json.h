#pragma once
// Impairments on the wire: {"cut": {}, "delay": {"time_us": 30000, ...}, ...}.
// See docs/api.md for every field.

#include <nlohmann/json.hpp>

#include "common/impairments.h"

namespace injector {

nlohmann::json to_json(const Impairments& imp);
Impairments impairments_from_json(const nlohmann::json& j);  // throws FieldError; does not validate()

}  // namespace injector
