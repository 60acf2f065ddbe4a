#include "injector/run/run_cli.h"

#include <unistd.h>

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "injector/playbook/validate.h"
#include "injector/run/drill_run.h"
#include "injector/run/summary.h"

namespace injector::run {
namespace {

std::string default_report_dir(const playbook::Playbook& pb) {
  if (!pb.report.dir.empty()) return pb.report.dir;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  return "reports/" + pb.name + "-" + stamp;
}

}  // namespace

struct RunCommands::Impl {
  std::string file, inventory, report, output = "text";
  std::vector<std::string> vars;
  bool no_faults = false, force = false;
  CLI::App* cmd = nullptr;

  int invalid(const playbook::CheckResult& r, std::ostream& err) const {
    for (const auto& e : r.errors) err << e.what() << "\n";
    err << "injector: error: " << file << ": " << r.errors.size() << " error(s); nothing was sent\n";
    return exit_code(Verdict::invalid);
  }

  int execute(std::ostream& out, std::ostream& err) {
    const playbook::CheckResult checked = playbook::check_playbook_file(file, vars, inventory, !no_faults);
    if (!checked.ok()) return invalid(checked, err);
    if (!checked.inventory && !no_faults) {
      err << "injector: error: inventory: " << (checked.note.empty() ? "the playbook names none; give --inventory FILE" : checked.note)
          << " (a drill needs it to reach the daemons; is the lab up?); nothing was sent\n";
      return exit_code(Verdict::invalid);
    }
    RunConfig cfg;
    cfg.playbook = &*checked.playbook;
    cfg.playbook_file = file;
    cfg.inventory = checked.inventory ? &*checked.inventory : nullptr;
    cfg.no_faults = no_faults;
    cfg.force = force;
    cfg.report_dir = report.empty() ? default_report_dir(*checked.playbook) : report;
    cfg.progress = &err;
    cfg.progress_is_tty = &err == &std::cerr && isatty(STDERR_FILENO);
    const RunResult result = run_drill(cfg);
    if (output == "json") {
      out << result.report.dump(2) << "\n";
    } else {
      print_summary(result.report, out);
    }
    return exit_code(result.verdict);
  }
};

RunCommands::RunCommands(CLI::App& app) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.cmd = app.add_subcommand("run", "Run a game-day drill from a playbook and exit with its verdict");
  m.cmd->add_option("playbook", m.file, "Playbook file (YAML, playbooks/README.md)")->required();
  m.cmd->add_option("--inventory", m.inventory, "Fleet inventory (default: the playbook's `inventory:`)");
  m.cmd->add_option("--var", m.vars, "NAME=VALUE for ${NAME}, repeatable; overrides the playbook's vars")->allow_extra_args(false);
  m.cmd->add_option("--report", m.report, "Directory for the report (default: the playbook's report.dir, else reports/NAME-TIME)");
  m.cmd->add_flag("--no-faults", m.no_faults, "Run the workload, probes, guards and expectations with no fault sent (each inject keeps its place and length on the timeline): the steady state alone");
  m.cmd->add_flag("--force", m.force, "Drill even where daemons hold faults that are not this drill's");
  m.cmd->add_option("--output", m.output, "text or json (the whole report.json)")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  m.cmd->footer(std::string("\n") + kRunExitCodes);
}

RunCommands::~RunCommands() = default;

bool RunCommands::parsed() const { return impl_->cmd->parsed(); }

int RunCommands::run(std::ostream& out, std::ostream& err) { return impl_->execute(out, err); }

}  // namespace injector::run
