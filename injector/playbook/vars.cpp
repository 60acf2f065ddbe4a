#include "injector/playbook/vars.h"

#include <regex>

#include "common/input_limits.h"
#include "injector/playbook/path.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

std::string declared_names(const VarMap& vars) {
  std::string names;
  for (const auto& [name, value] : vars) names += (names.empty() ? "" : ", ") + name;
  return names.empty() ? "none declared" : names;
}

// The value of one ${...} reference, or an error at `path`.
std::string resolve(const std::string& name, const VarMap& vars, const std::string& path, Errors& errors) {
  if (!valid_var_name(name)) {
    errors.emplace_back(path, "'${" + printable(name) + "}' is not a variable reference",
                        std::string("${NAME} with NAME ") + kVarNamePattern + ", or $${ for a literal ${");
    return {};
  }
  const auto it = vars.find(name);
  if (it != vars.end()) return it->second;
  errors.emplace_back(path, "unresolved variable ${" + name + "}",
                      declared_names(vars) + "; or add it with --var " + name + "=VALUE");
  return {};
}

}  // namespace

bool valid_var_name(std::string_view name) {
  static const std::regex kName(kVarNamePattern);
  return std::regex_match(name.begin(), name.end(), kName);
}

VarMap parse_var_flags(const std::vector<std::string>& flags, Errors& errors) {
  VarMap out;
  for (const auto& flag : flags) {
    const auto eq = flag.find('=');
    const std::string name = flag.substr(0, eq);
    if (eq == std::string::npos || !valid_var_name(name)) {
      errors.emplace_back("--var", quote_input(flag) + " is not NAME=VALUE", std::string("NAME ") + kVarNamePattern);
    } else if (name == kBuiltinName) {
      errors.emplace_back("--var", "${name} is the playbook's name and cannot be set", "any other NAME");
    } else {
      out[name] = flag.substr(eq + 1);
    }
  }
  return out;
}

std::string substitute(std::string_view text, const VarMap& vars, const std::string& path, Errors& errors) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
    } else if (text.substr(i, 2) == "${") {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        errors.emplace_back(path, "'${' without a closing '}'", "${NAME}, or $${ for a literal ${");
        return out + std::string(text.substr(i));
      }
      out += resolve(std::string(text.substr(i + 2, close - i - 2)), vars, path, errors);
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

VarMap collect_vars(const YAML::Node& root, const VarMap& overrides, Errors& errors) {
  VarMap builtins;
  if (root.IsMap() && root["name"] && root["name"].IsScalar()) builtins[kBuiltinName] = root["name"].Scalar();
  VarMap vars = builtins;
  const YAML::Node declared = root.IsMap() ? root["vars"] : YAML::Node();
  if (declared && !declared.IsNull() && !declared.IsMap()) {
    errors.emplace_back("vars", "expected a mapping of NAME: VALUE");
  } else if (declared && declared.IsMap()) {
    for (const auto& kv : declared) {
      const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      const std::string path = key_path("vars", name);
      if (!valid_var_name(name)) {
        errors.emplace_back(path, "is not a variable name", kVarNamePattern);
      } else if (name == kBuiltinName) {
        errors.emplace_back(path, "${name} is built in (the playbook's name)", "any other name");
      } else if (!kv.second.IsScalar()) {
        errors.emplace_back(path, "expected a single value (a string or a number)");
      } else {
        vars[name] = substitute(kv.second.Scalar(), builtins, path, errors);
      }
    }
  }
  for (const auto& [name, value] : overrides) vars[name] = substitute(value, builtins, "--var " + name, errors);
  return vars;
}

namespace {

YAML::Node substituted(const YAML::Node& node, const std::string& path, const VarMap& vars, Errors& errors) {
  if (node.IsScalar()) return YAML::Node(substitute(node.Scalar(), vars, path, errors));
  if (node.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (std::size_t i = 0; i < node.size(); ++i) out.push_back(substituted(node[i], index_path(path, i), vars, errors));
    return out;
  }
  if (node.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      const bool literal = path.empty() && key == "vars";  // resolved by collect_vars
      // force_insert keeps a key written twice, so the reader can report it.
      out.force_insert(YAML::Clone(kv.first),
                       literal ? YAML::Clone(kv.second) : substituted(kv.second, key_path(path, key), vars, errors));
    }
    return out;
  }
  return YAML::Clone(node);
}

}  // namespace

YAML::Node substitute_tree(const YAML::Node& root, const VarMap& vars, Errors& errors) {
  return substituted(root, "", vars, errors);
}

}  // namespace injector::playbook
