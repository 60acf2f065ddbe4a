#pragma once
// An oracle for "plain printable text", written apart from common/strings.h
// so that a check of what the quoting helper wrote does not ask the helper:
// valid UTF-8 (nlohmann's strict dump) and no C0 control, DEL, C1 control or
// invisible character (soft hyphen, zero-width and bidirectional marks, line
// separators, BOM, tags). Used by the quoting tests and both fuzz targets.

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace injector::testing {

// Why `text` is not plain printable text, or "" when it is.
inline std::string unprintable_in(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::exception& e) {
    return std::string("not valid UTF-8: ") + e.what();
  }
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;  // valid, as checked above
    std::uint32_t cp = n == 1 ? lead : lead & (0x7Fu >> n);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    const bool bad = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) ||
                     (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
                     (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
    if (bad) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "raw U+%04X at byte %zu", static_cast<unsigned>(cp), i);
      return buf;
    }
    i += n;
  }
  return "";
}

}  // namespace injector::testing
