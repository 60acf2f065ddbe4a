#pragma once
// The money checks of a drill, from the client's side: what the users were
// told (every acknowledged payment) against what the ledger holds at one
// consistent revision. Exact, never statistical: one lost or doubled payment
// fails the drill.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "injector/drill/traffic.h"

namespace injector::drill {

struct LedgerRecord {
  std::string status;  // "applied" or "declined"
  PaymentRequest request;
  std::int64_t revision = 0;  // the ledger revision that committed it
  std::string served_by;
};

struct LedgerSnapshot {
  std::int64_t revision = 0;
  std::int64_t total_minor = 0;            // what the balances must add up to
  std::int64_t initial_balance_minor = 0;  // every account's balance when seeded
  std::map<std::int64_t, std::int64_t> balances;
  std::map<std::string, LedgerRecord> records;  // by idempotency key
};

// GET /v1/ledger/snapshot's body (payments/README.md); throws
// std::invalid_argument naming the field that is missing or wrong.
LedgerSnapshot parse_snapshot(const nlohmann::json& j);

struct LedgerVerdict {
  std::int64_t balance_sum = 0;
  std::vector<std::int64_t> negative;         // accounts below zero
  std::vector<std::int64_t> replay_mismatch;  // balance != seed + its applied records
  std::vector<std::string> lost;              // told "applied", not applied in the ledger
  std::vector<std::string> flipped;           // told "declined", applied (or the other way round)
  std::vector<std::string> phantom;           // applied under our prefix, never sent, or not as sent
  std::vector<std::string> reordered;         // a payer's later payment committed before an earlier acknowledged one
  std::int64_t unknown_applied = 0;           // gave up, turned out applied (allowed)
  std::int64_t unknown_not_applied = 0;            // gave up, not applied: no record or a decline (allowed)
  bool conserved = false;

  bool ok() const {
    return conserved && negative.empty() && replay_mismatch.empty() && lost.empty() && flipped.empty() &&
           phantom.empty() && reordered.empty();
  }
  nlohmann::json to_json() const;
};

// sent: every payment of the run (their keys start with key_prefix); records
// under other keys belong to other clients and only count toward balances.
LedgerVerdict check_ledger(const LedgerSnapshot& snapshot, const std::vector<SentPayment>& sent,
                           const std::string& key_prefix);

}  // namespace injector::drill
