// Fuzzes the API's request decoding: raw body -> nlohmann::json::parse (as
// daemon/api_router.cpp does it, without exceptions) -> the strict decoders
// for POST /v1/faults and PATCH /v1/faults/{id} -> validate().
//
// Besides ASan/UBSan, it checks what the API relies on:
//  - decoding fails only with FieldError (anything else would be a 400
//    "invalid_json" or a 500 instead of a 400 naming the field);
//  - the 400 body for that FieldError can be serialised, and its field and
//    message hold no raw control or invisible character (message_check.h);
//  - whatever decodes survives the wire: to_json, dump, parse and decode again
//    give the same spec (the daemon echoes specs back and journals them).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "common/fault_json.h"
#include "common/impairments_json.h"
#include "common/json_reader.h"
#include "fuzz/message_check.h"

namespace {

using nlohmann::json;
using namespace injector;

[[noreturn]] void fail(const char* what, const json& body) {
  std::fprintf(stderr, "fuzz: %s\nbody: %s\n", what, body.dump(-1, ' ', true, json::error_handler_t::replace).c_str());
  std::abort();
}

// The decoding half of ApiRouter::update (daemon/api_router.cpp), which cannot
// be linked without a FaultEngine: keep the two in step.
Impairments decode_patch_body(const json& body) {
  JsonObjectReader r(body, "");
  const json* imp = r.optional("impairments");
  if (!imp) throw FieldError("impairments", "is required");
  if (const json* life = r.optional("lifetime")) {
    JsonObjectReader l(*life, "lifetime");
    l.integer("duration_ms", 0, 0, std::numeric_limits<std::int64_t>::max());
    l.reject_unknown("duration_ms");
  }
  r.reject_unknown("impairments, lifetime");
  return impairments_from_json(*imp);
}

void serialise_error(const FieldError& e) { fuzzing::check_refusal(e); }

void post(const json& body) {
  FaultSpec spec;
  try {
    spec = fault_spec_from_json(body);
  } catch (const FieldError& e) {
    serialise_error(e);
    return;
  }
  if (fault_spec_from_json(json::parse(to_json(spec).dump())) != spec) fail("POST spec does not round-trip", body);
  try {
    validate(spec);
  } catch (const FieldError& e) {
    serialise_error(e);
  }
}

void patch(const json& body) {
  Impairments imp;
  try {
    imp = decode_patch_body(body);
  } catch (const FieldError& e) {
    serialise_error(e);
    return;
  }
  if (impairments_from_json(json::parse(to_json(imp).dump())) != imp) fail("PATCH impairments do not round-trip", body);
  try {
    validate(imp);
  } catch (const FieldError& e) {
    serialise_error(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json body = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;  // the API's 400 invalid_json
  post(body);
  patch(body);
  return 0;
}
