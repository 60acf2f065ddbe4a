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

namespace injector::fuzzing {

inline void check_text(const std::string& text, const char* what) {
  (void)nlohmann::json(text).dump();  // throws, and so crashes the run, on invalid UTF-8
  std::string unescaped = text;  // printable() would only double its backslashes
  std::erase(unescaped, '\\');
  if (printable(unescaped, std::string::npos) != unescaped) {
    std::fprintf(stderr, "fuzz: a raw control or invisible character in the %s: %s\n", what,
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
