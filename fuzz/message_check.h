#pragma once
// What both fuzz targets demand of a refusal (issue 15 section 2): its field
// and message serialise as strict JSON (valid UTF-8: the API writes them in
// its 400 answer, the CLI prints them) and carry no raw control or invisible
// character, so every quoted input went through common/strings.h.

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "common/fault_json.h"
#include "common/field_error.h"
#include "common/strings.h"
#include "tests/support/text_checks.h"

namespace injector::fuzzing {

inline void check_text(const std::string& text, const char* what) {
  (void)nlohmann::json(text).dump();  // throws, and so crashes the run, on invalid UTF-8
  // Judged by an oracle of its own, not by the helper under test.
  if (const std::string why = testing::unprintable_in(text); !why.empty()) {
    std::fprintf(stderr, "fuzz: the %s is not plain printable text (%s): %s\n", what, why.c_str(),
                 printable(text, std::string::npos).c_str());
    std::abort();
  }
}

// The API answers a FieldError with error_json(); dump() throws on invalid UTF-8.
inline void check_refusal(const FieldError& e) {
  (void)error_json("invalid_field", e).dump();
  check_text(e.field(), "field");
  check_text(e.message(), "message");
}

}  // namespace injector::fuzzing
