#pragma once
// The fault spec on the wire. Decoding is strict: unknown fields, wrong types
// and bad values are FieldErrors naming the JSON path, so a typo such as
// "lifetme" is an error instead of a silently ignored setting.

#include <nlohmann/json.hpp>
#include <string>

#include "common/fault_spec.h"
#include "common/field_error.h"

namespace injector {

nlohmann::json to_json(const FaultSpec& spec);
// What a client sends: the same, with the match's sides under their v1 names
// (`to` for peer, `from` for local), which every v1 daemon reads, those from
// before `peer`/`local` included, so a fleet can upgrade its CLIs and its
// daemons in either order.
nlohmann::json to_request_json(const FaultSpec& spec);
FaultSpec fault_spec_from_json(const nlohmann::json& j);  // throws FieldError; does not call validate()

// {"error": {"code": ..., "field": ..., "message": ..., "allowed": ...}}: the
// body of every 4xx/5xx the API returns. Field and allowed are omitted when empty.
nlohmann::json error_json(std::string_view code, const std::string& message, const std::string& field = {},
                          const std::string& allowed = {});
nlohmann::json error_json(std::string_view code, const FieldError& e);

}  // namespace injector
