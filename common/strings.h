#pragma once
// Small string helpers, header-only.

#include <string>
#include <vector>

namespace injector {

// The names joined by commas, without spaces: {"hz", "sh"} -> "hz,sh".
inline std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace injector
