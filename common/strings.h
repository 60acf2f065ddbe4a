#pragma once
// Small string helpers. quote_input() and printable() (strings.cpp) are the one
// way a message quotes what a user or a peer sent: the API's errors, the CLI's
// messages, the audit log and the daemon's log all go through them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/input_limits.h"

namespace injector {

// The names joined by commas, without spaces: {"hz", "sh"} -> "hz,sh".
inline std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// Percent-encodes all but RFC 3986's unreserved characters: a value safe in
// a URL's path segment or query.
inline std::string percent_encode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The length of the valid UTF-8 sequence at s[i] and its code point, or 0
// when the bytes there are not one (overlong, surrogate, truncated, > U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& cp);

// `text` made safe to print and to put in JSON, at most `cap` bytes of it
// (then "..." follows): each byte that is not valid UTF-8 becomes \xNN, a
// control or invisible character (C0, DEL, C1, bidirectional marks, line
// separators, BOM) becomes \n, \r, \t, \xNN or \u{XXXX}, a backslash \\.
// The cap counts these escapes, and the cut falls between characters, never
// inside one: half a character makes a JSON answer unwritable (nlohmann's
// dump() throws on it), and a raw escape sequence would reach a terminal.
std::string printable(std::string_view text, std::size_t cap = limits::kMaxQuoted);

// printable(text, cap) in single quotes (a quote inside becomes \'), and when
// it was cut, how long the whole was: 'eth0', 'xxxx...' (100000 bytes).
std::string quote_input(std::string_view text, std::size_t cap = limits::kMaxQuoted);

}  // namespace injector
