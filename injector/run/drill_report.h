#pragma once
// report.json (playbooks/README.md, "Reports"): everything a team reads
// after a drill and a CI system reads by itself, built from what the run
// recorded. The renderers (junit.xml, timeline.svg, report.html) read this
// document, never the run's internals.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "injector/drill/recorder.h"
#include "injector/playbook/timeline.h"
#include "injector/run/drill_faults.h"
#include "injector/run/guard_watch.h"
#include "injector/run/invariants.h"
#include "injector/run/judge_steps.h"
#include "injector/run/preflight.h"
#include "injector/run/steps.h"
#include "injector/run/verdict.h"

namespace injector::run {

struct AbortTimes {
  std::int64_t revert_sent_us = 0, revert_confirmed_us = 0;
};

struct DrillFacts {
  const playbook::Playbook* playbook = nullptr;
  std::string playbook_file, inventory_path, report_dir, run_id;
  std::int64_t started_us = 0, ended_us = 0;
  bool no_faults = false, forced = false, interrupted = false;
  std::optional<PreflightResult> preflight;
  std::vector<StepRecord> steps;
  std::vector<FaultRecord> faults;
  std::vector<JudgedExpectation> expectations;
  std::vector<GuardOutcome> guards;
  AbortTimes abort;
  std::vector<InvariantResult> invariants;
  std::optional<drill::LedgerVerdict> ledger;
  const drill::Recorder* recorder = nullptr;
  std::vector<std::string> datacenters;
  const std::vector<drill::SentPayment>* payments = nullptr;
  nlohmann::json resolved;  // the playbook as run: timeline, every host's faults, guards (playbook plan's JSON)
  std::map<const playbook::Step*, playbook::Offset> planned;  // each step's planned start from the drill's start
  nlohmann::json failover = nlohmann::json::array();
  nlohmann::json probes = nlohmann::json::array();
  Verdict verdict = Verdict::pass;
  std::string reason;
};

nlohmann::json build_report(const DrillFacts& facts);

// Each step's planned start (parallel children included), from the timeline.
std::map<const playbook::Step*, playbook::Offset> planned_starts(const playbook::Timeline& timeline);

// The workload's per-second series, one array per datacenter and "" for all.
nlohmann::json series_json(const drill::Recorder& recorder, const std::vector<std::string>& dcs,
                           std::int64_t started_us);

}  // namespace injector::run
