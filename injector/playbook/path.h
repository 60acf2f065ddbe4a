#pragma once
// Paths of fields in a playbook as errors print them: `steps[2].inject.for`.

#include <cstddef>
#include <string>
#include <string_view>

namespace injector::playbook {

inline std::string key_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

inline std::string index_path(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

}  // namespace injector::playbook
