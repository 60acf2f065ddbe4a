#pragma once
// The playbook commands of the CLI (playbooks/README.md): `playbook validate`,
// which reads and checks a playbook, and `playbook plan`, which also prints
// what a run would do; neither sends anything.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <memory>

namespace injector::playbook {

class PlaybookCommands {
 public:
  explicit PlaybookCommands(CLI::App& app);  // adds `playbook` and its subcommands to `app`
  ~PlaybookCommands();
  bool parsed() const;
  // Runs the parsed command; returns an exit code (cli.h).
  int run(std::ostream& out, std::ostream& err);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace injector::playbook
