#pragma once
// Playbook variables: `${NAME}` inside any scalar is replaced by text before
// the document is typed, so a variable can stand for a duration, a number or
// a datacenter alike. `$${` is a literal `${`. Errors name the path where the
// reference was written and the variable.

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/field_error.h"

namespace injector::playbook {

using VarMap = std::map<std::string, std::string>;
using Errors = std::vector<FieldError>;

inline constexpr const char* kVarNamePattern = "[A-Za-z_][A-Za-z0-9_]*";
// Needs no declaration: the playbook's own `name`.
inline constexpr const char* kBuiltinName = "name";

bool valid_var_name(std::string_view name);

// `--var K=V` flags, in order (a later one wins); bad ones are errors on "--var".
VarMap parse_var_flags(const std::vector<std::string>& flags, Errors& errors);

// `text` with each ${NAME} replaced by its value from `vars`. The inserted
// values are not scanned again, so a value can never expand forever.
std::string substitute(std::string_view text, const VarMap& vars, const std::string& path, Errors& errors);

// The variables of a document: `vars:`, then the overrides, then the
// built-in ${name}. A value may use ${name} and $${, nothing else: variables
// referring to each other would need an order of evaluation.
VarMap collect_vars(const YAML::Node& root, const VarMap& overrides, Errors& errors);

// A copy of the document with every scalar substituted, `vars:` left as
// written (its values are already resolved in `vars`).
YAML::Node substitute_tree(const YAML::Node& root, const VarMap& vars, Errors& errors);

}  // namespace injector::playbook
