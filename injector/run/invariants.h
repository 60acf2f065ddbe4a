#pragma once
// The drill's invariants, read from the ledger after the heal, never from
// the workload's own counts: what users were told against what the system
// holds at one consistent revision. A ledger that cannot be read makes
// every invariant "unknown": a blind checker never passes a drill.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "injector/drill/ledger_check.h"
#include "injector/playbook/playbook.h"
#include "injector/run/measure.h"

namespace injector::run {

struct InvariantResult {
  playbook::Invariant invariant;
  Judged result = Judged::unknown;
  std::string detail;
};

const char* to_string(playbook::Invariant i);

struct LedgerReading {
  std::optional<drill::LedgerVerdict> verdict;  // nullopt: the ledger could not be read
  std::string error;
};

// GET {api_url}{dialect.snapshot} (/v1/ledger/snapshot by default), checked
// against the run's payments; an empty snapshot path reads nothing (error set).
LedgerReading read_ledger(const std::string& api_url, const drill::PaymentsDialect& dialect,
                          const std::vector<drill::SentPayment>& sent, const std::string& key_prefix);

std::vector<InvariantResult> judge_invariants(const std::vector<playbook::Invariant>& wanted,
                                              const LedgerReading& ledger);

}  // namespace injector::run
