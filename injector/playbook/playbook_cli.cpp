#include "injector/playbook/playbook_cli.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "injector/cli.h"
#include "injector/playbook/drill_plan.h"
#include "injector/playbook/validate.h"

namespace injector::playbook {

// What validate and plan both take.
struct Flags {
  std::string file, inventory, output = "text";
  std::vector<std::string> vars;
};

namespace {

using nlohmann::json;

constexpr const char* kValidateExitCodes =
    "Exit codes:\n"
    "  0  the playbook is valid\n"
    "  2  the playbook or the flags are invalid: every error is listed, one per line,\n"
    "     as PATH: MESSAGE (allowed: ...); nothing was sent to any daemon\n";

constexpr const char* kPlanExitCodes =
    "Exit codes:\n"
    "  0  the plan was printed\n"
    "  2  the playbook, the flags or the inventory are invalid (or the inventory cannot be\n"
    "     read): every error is listed, one per line; nothing was sent\n";

json errors_json(const Errors& errors) {
  json out = json::array();
  for (const auto& e : errors) out.push_back({{"path", e.field()}, {"message", e.message()}, {"allowed", e.allowed()}});
  return out;
}

}  // namespace

struct PlaybookCommands::Impl : Flags {
  CLI::App* validate = nullptr;
  CLI::App* plan = nullptr;

  int run_validate(std::ostream& out, std::ostream& err) const {
    const CheckResult result = check_playbook_file(file, vars, inventory);
    if (!result.note.empty()) err << "injector: note: " << result.note << "\n";
    if (output == "json") {
      json doc = {{"valid", result.ok()}, {"errors", errors_json(result.errors)}};
      if (result.ok()) doc["name"] = result.playbook->name;
      if (!result.note.empty()) doc["note"] = result.note;
      out << doc.dump(2) << "\n";
    } else if (result.ok()) {
      const Playbook& pb = *result.playbook;
      out << "valid: " << pb.name << " (" << pb.steps.size() << " steps, " << pb.probes.size() << " probes, "
          << pb.guards.size() << " guards)\n";
    } else {
      for (const auto& e : result.errors) out << e.what() << "\n";
    }
    if (!result.ok()) err << "injector: error: " << file << ": " << result.errors.size() << " error(s); nothing was sent\n";
    return result.ok() ? cli::kOk : cli::kUsage;
  }

  // Validates as `validate` does (the inventory must be readable here), then
  // plans every inject on it; contacts nothing.
  int run_plan(std::ostream& out, std::ostream& err) const {
    CheckResult result = check_playbook_file(file, vars, inventory, true);
    std::optional<DrillPlan> drill;
    if (result.ok()) drill = make_drill_plan(*result.playbook, result.inventory ? &*result.inventory : nullptr, result.errors);
    if (!result.ok()) {
      if (output == "json") {
        out << json{{"valid", false}, {"errors", errors_json(result.errors)}}.dump(2) << "\n";
      } else {
        for (const auto& e : result.errors) out << e.what() << "\n";
      }
      err << "injector: error: " << file << ": " << result.errors.size() << " error(s); nothing was sent\n";
      return cli::kUsage;
    }
    output == "json" ? void(out << drill_plan_json(*drill).dump(2) << "\n") : print_drill_plan(*drill, out);
    return cli::kOk;
  }
};

// The flags validate and plan share; only what --inventory is for differs.
namespace {

CLI::App* add_playbook_command(CLI::App* parent, const char* name, const char* help, Flags& m,
                               const char* inventory_help, const char* exit_codes) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->add_option("playbook", m.file, "Playbook file (YAML)")->required();
  // One NAME=VALUE per --var, so a value can never swallow the playbook's path.
  cmd->add_option("--var", m.vars, "NAME=VALUE for ${NAME}, repeatable; overrides the playbook's vars")->allow_extra_args(false);
  cmd->add_option("--inventory", m.inventory, inventory_help);
  cmd->add_option("--output", m.output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->footer(std::string("\n") + exit_codes);
  return cmd;
}

}  // namespace

PlaybookCommands::PlaybookCommands(CLI::App& app) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  auto* playbook = app.add_subcommand("playbook", "Check and plan game-day playbooks (playbooks/README.md)")->require_subcommand(1);
  m.validate = add_playbook_command(
      playbook, "validate", "Check a playbook strictly and list every error with its path; sends nothing", m,
      "Check datacenter and host names against this inventory (default: the playbook's own inventory, if readable)",
      kValidateExitCodes);
  m.plan = add_playbook_command(
      playbook, "plan",
      "Print a playbook's timeline, the per-host faults of every inject, the guards and the safety settings; sends nothing",
      m, "The fleet to plan on (default: the playbook's own inventory, relative to its folder); must be readable",
      kPlanExitCodes);
}

PlaybookCommands::~PlaybookCommands() = default;

bool PlaybookCommands::parsed() const { return impl_->validate->parsed() || impl_->plan->parsed(); }

int PlaybookCommands::run(std::ostream& out, std::ostream& err) {
  return impl_->plan->parsed() ? impl_->run_plan(out, err) : impl_->run_validate(out, err);
}

}  // namespace injector::playbook
