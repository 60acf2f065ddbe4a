// `injector playbook validate` minus the printing: file, variables, parse,
// inventory, checks.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "injector/playbook/playbook_yaml.h"
#include "injector/playbook/validate.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// An inventory's own error, re-labelled with where the inventory was named.
FieldError inventory_error(const std::string& field, const std::string& file, const FieldError& e) {
  return FieldError(field, file + ": " + e.what());
}

// --inventory must be readable; the playbook's own `inventory:` often names a
// lab that is not up while a playbook is edited, so then names go unchecked.
std::optional<fleet::Inventory> load_inventory_for(const std::string& playbook_path, const Playbook& pb,
                                                   const std::string& flag, bool required, CheckResult& result) {
  if (!flag.empty()) {
    try {
      return fleet::load_inventory(flag);
    } catch (const FieldError& e) {
      result.errors.push_back(inventory_error("--inventory", flag, e));
      return std::nullopt;
    }
  }
  if (pb.inventory.empty()) return std::nullopt;
  std::filesystem::path file = pb.inventory;
  if (file.is_relative()) file = std::filesystem::path(playbook_path).parent_path() / file;
  std::ifstream probe(file);
  if (!probe && required) {
    result.errors.emplace_back("inventory", "cannot read " + quote_input(file.string(), limits::kMaxQuotedPath), "a readable inventory file, or --inventory");
    return std::nullopt;
  }
  if (!probe) {
    result.note = "inventory " + file.string() + " is not readable: datacenter and host names were not checked";
    return std::nullopt;
  }
  try {
    return fleet::load_inventory(file.string());
  } catch (const FieldError& e) {
    result.errors.push_back(inventory_error("inventory", file.string(), e));
    return std::nullopt;
  }
}

}  // namespace

CheckResult check_playbook_file(const std::string& path, const std::vector<std::string>& var_flags,
                                const std::string& inventory_flag, bool inventory_required) {
  CheckResult result;
  const VarMap overrides = parse_var_flags(var_flags, result.errors);
  const auto text = read_text(path);
  if (!text) {
    result.errors.emplace_back("playbook", "cannot read " + quote_input(path, limits::kMaxQuotedPath));
    return result;
  }
  ParseResult parsed = parse_playbook(*text, overrides);
  for (auto& e : parsed.errors) result.errors.push_back(std::move(e));
  result.inventory = load_inventory_for(path, parsed.playbook, inventory_flag, inventory_required, result);
  Errors checks = validate_playbook(parsed.playbook, result.inventory ? &*result.inventory : nullptr);
  drop_unresolved(checks, parsed.unresolved);
  for (auto& e : checks) result.errors.push_back(std::move(e));
  result.playbook = std::move(parsed.playbook);
  return result;
}

}  // namespace injector::playbook
