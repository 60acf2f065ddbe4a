#pragma once
// The fleet commands of the CLI (docs/fleet.md): inventory check, partition,
// link, status, revert. They plan per-host faults from an inventory and drive
// every daemon of the fleet at once.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <memory>

namespace injector::fleet {

class FleetCommands {
 public:
  explicit FleetCommands(CLI::App& app);  // adds the subcommands to `app`
  ~FleetCommands();
  bool parsed() const;
  // Runs the parsed command; returns an exit code (cli.h). Bad input throws
  // FieldError, as in the rest of the CLI.
  int run(std::ostream& out, std::ostream& err);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace injector::fleet
