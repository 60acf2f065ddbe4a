#pragma once
// Strict, error-collecting reading of a playbook's YAML (after variable
// substitution). Unlike the inventory reader, nothing throws: every problem
// is appended as {path, message, allowed} and reading goes on, so one run of
// `playbook validate` lists all of them.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/field_error.h"
#include "injector/playbook/path.h"
#include "injector/playbook/playbook.h"

namespace injector::playbook {

using Errors = std::vector<FieldError>;

enum class Need { optional, required };
enum class Zero { refused, allowed };  // "0s" is allowed only where the format says so

// The text of a scalar; an error when the node is a list or a mapping.
std::optional<std::string> scalar_text(const YAML::Node& node, const std::string& path, Errors& errors);
std::optional<Millis> duration_value(const YAML::Node& node, const std::string& path, Errors& errors,
                                     Zero zero = Zero::refused);
std::optional<long long> integer_value(const YAML::Node& node, const std::string& path, Errors& errors, long long min,
                                       long long max);
std::optional<double> number_value(const YAML::Node& node, const std::string& path, Errors& errors);
std::optional<bool> bool_value(const YAML::Node& node, const std::string& path, Errors& errors);
// "90%" or a number from 0 to 1, as a fraction.
std::optional<double> fraction_value(const YAML::Node& node, const std::string& path, Errors& errors);
std::optional<std::vector<std::string>> string_list(const YAML::Node& node, const std::string& path, Errors& errors);
std::optional<StringMap> string_map(const YAML::Node& node, const std::string& path, Errors& errors);
// True for a list; otherwise an error naming what was expected.
bool expect_list(const YAML::Node& node, const std::string& path, Errors& errors, const char* of_what);
// A name of the format's kind: `pattern` is a regex, shown as allowed.
void check_pattern(const std::string& value, const std::string& path, Errors& errors, const char* pattern,
                   const char* what);

// One mapping read strictly: keys outside `keys` are reported when it is
// constructed (with the keys allowed), so callers only ask for what they know.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Errors& errors, std::initializer_list<const char*> keys);

  bool ok() const { return ok_; }  // false: not a mapping, nothing to read
  const std::string& path() const { return path_; }
  std::string at(std::string_view key) const { return key_path(path_, key); }
  Errors& errors() const { return errors_; }
  // Present with a value (an explicit null counts as absent).
  bool has(std::string_view key) const;
  // The value, or an undefined node when absent; reports a missing required key.
  YAML::Node get(std::string_view key, Need need = Need::optional) const;

  std::optional<std::string> text(std::string_view key, Need need = Need::optional) const;
  std::optional<Millis> duration(std::string_view key, Need need = Need::optional, Zero zero = Zero::refused) const;
  std::optional<long long> integer(std::string_view key, long long min, long long max, Need need = Need::optional) const;
  std::optional<double> number(std::string_view key, Need need = Need::optional) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<double> fraction(std::string_view key) const;
  std::optional<std::vector<std::string>> strings(std::string_view key, Need need = Need::optional) const;
  std::optional<StringMap> map(std::string_view key) const;

  // The one key of `keys` that is present; with none or several, an error on
  // this mapping and an empty string.
  std::string one_of(std::initializer_list<const char*> keys) const;

 private:
  YAML::Node node_;
  std::string path_;
  Errors& errors_;
  bool ok_ = false;
};

}  // namespace injector::playbook
