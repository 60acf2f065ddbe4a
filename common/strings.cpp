#include "common/strings.h"

#include <cstdio>

namespace injector {
namespace {

// Characters that print nothing or move the text around: a quoted value
// containing them could hide part of itself or rearrange the line it is in.
bool invisible(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
         (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
}

std::string hex_escape(unsigned byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", byte & 0xFFu);
  return buf;
}

// How the character (or invalid byte) at text[i] is written; `n` is set to the bytes it covers.
std::string piece_at(std::string_view text, std::size_t i, bool escape_quote, std::size_t& n) {
  std::uint32_t cp = 0;
  n = utf8_sequence(text, i, cp);
  if (n == 0) {
    n = 1;
    return hex_escape(static_cast<unsigned char>(text[i]));
  }
  switch (cp) {
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\'': return escape_quote ? "\\'" : "'";
    default: break;
  }
  if (!invisible(cp)) return std::string(text.substr(i, n));
  if (cp < 0x80) return hex_escape(cp);
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
  return buf;
}

// printable() and quote_input(): `cut` says whether the text was shortened.
std::string render(std::string_view text, std::size_t cap, bool escape_quote, bool& cut) {
  std::string out;
  cut = false;
  for (std::size_t i = 0, n = 0; i < text.size(); i += n) {
    const std::string piece = piece_at(text, i, escape_quote, n);
    if (out.size() + piece.size() > cap) {
      cut = true;
      return out + "...";
    }
    out += piece;
  }
  return out;
}

}  // namespace

std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1Fu;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0Fu;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string printable(std::string_view text, std::size_t cap) {
  bool cut = false;
  return render(text, cap, /*escape_quote=*/false, cut);
}

std::string quote_input(std::string_view text, std::size_t cap) {
  bool cut = false;
  std::string out = "'" + render(text, cap, /*escape_quote=*/true, cut) + "'";
  if (cut) out += " (" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace injector
