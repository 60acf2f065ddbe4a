#pragma once
// One drill on the lab's payment system, shared by the integration tests
// (which judge its invariants) and payments_bench (which reports its times):
// users pay through the router, a datacenter is cut off by the injector,
// healed, and what users were told is checked against the ledger.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "injector/drill/interruption.h"
#include "injector/drill/ledger_check.h"
#include "injector/drill/traffic.h"
#include "support/payments_lab.h"

namespace injector::testing {

// Unit -> home datacenter, and who owns each unit now (GET /v1/units via the router).
struct UnitMap {
  std::vector<std::string> home, owner;
  int unit_of(std::int64_t account) const { return static_cast<int>(account % static_cast<std::int64_t>(home.size())); }
  bool all_home() const { return home == owner; }
};
UnitMap unit_map(const PaymentsLab& lab);

// Moves every unit home (POST /v1/units/failback on each home service) and
// waits until the router's map says so; throws after `patience`.
void fail_back_everything(const PaymentsLab& lab, std::chrono::milliseconds patience = std::chrono::seconds(20));

// The ledger at one revision, checked against the payments sent.
drill::LedgerVerdict check_ledger(const PaymentsLab& lab, const std::vector<drill::SentPayment>& sent,
                                  const std::string& key_prefix);

struct CutDrill {
  std::string dc = "hz";
  double rate_per_s = 100;
  std::chrono::milliseconds before{2000}, hold{6000}, after{5000};
  std::string key_prefix;
};

struct CutOutcome {
  std::string key_prefix;  // the drill's payments, among everyone's
  Isolation isolation;
  std::int64_t healed_us = 0;
  UnitMap units;  // as the drill began
  std::vector<drill::SentPayment> payments;
  drill::LedgerVerdict verdict;
  std::optional<std::int64_t> rto_us;              // cut datacenter's units: activation -> first acknowledgement elsewhere
  std::optional<drill::Interruption> others;       // other units, while cut
  std::optional<drill::Interruption> after_heal;   // every unit, from the heal on
  std::map<std::string, int> cut_units_served_by;  // during the cut: who acknowledged the cut datacenter's units
  int others_served_away = 0;  // during the cut: other units' payments acknowledged away from their home
};

CutOutcome run_cut_drill(const PaymentsLab& lab, const CutDrill& drill);

}  // namespace injector::testing
