#pragma once
// One drill, start to verdict (`injector run`): preflight, the payment
// workload and probes, the guards, the steps, rollback on every exit path,
// the invariants from the ledger, the report.

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

#include "injector/fleet/inventory.h"
#include "injector/playbook/playbook.h"
#include "injector/run/verdict.h"

namespace injector::run {

struct RunConfig {
  const playbook::Playbook* playbook = nullptr;
  std::string playbook_file;
  const fleet::Inventory* inventory = nullptr;  // may be null only with --no-faults and an explicit API
  bool no_faults = false;
  bool force = false;
  std::string report_dir;  // created; empty: no files written
  std::ostream* progress = nullptr;  // the live line (a terminal) or timestamped lines
  bool progress_is_tty = false;
};

struct RunResult {
  Verdict verdict = Verdict::pass;
  std::string reason;
  nlohmann::json report;
};

// Installs the SIGINT/SIGTERM handlers for its duration.
RunResult run_drill(const RunConfig& config);

}  // namespace injector::run
