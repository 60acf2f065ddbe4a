#pragma once
// `injector run PLAYBOOK`: runs a game-day drill and exits with its verdict
// (verdict.h lists the exit codes).

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <memory>

namespace injector::run {

class RunCommands {
 public:
  explicit RunCommands(CLI::App& app);  // adds `run` to app
  ~RunCommands();
  bool parsed() const;
  int run(std::ostream& out, std::ostream& err);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace injector::run
