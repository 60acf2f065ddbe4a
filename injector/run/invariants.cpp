#include "injector/run/invariants.h"

#include "injector/drill/payments_api.h"

namespace injector::run {
namespace {

using playbook::Invariant;

std::string count_of(const std::vector<std::string>& keys, const char* what) {
  std::string s = std::to_string(keys.size()) + " " + what;
  if (!keys.empty()) s += " (first: " + keys.front() + ")";
  return s;
}

InvariantResult judge_one(Invariant inv, const drill::LedgerVerdict& v) {
  InvariantResult r{inv, Judged::pass, ""};
  auto fail_if = [&](bool bad, std::string detail) {
    r.result = bad ? Judged::fail : Judged::pass;
    r.detail = std::move(detail);
  };
  switch (inv) {
    case Invariant::conserved:
      fail_if(!v.conserved || !v.replay_mismatch.empty(),
              "balances add up to " + std::to_string(v.balance_sum) + " minor units; " +
                  std::to_string(v.replay_mismatch.size()) + " account(s) differ from replaying their payments");
      break;
    case Invariant::no_negative:
      fail_if(!v.negative.empty(), std::to_string(v.negative.size()) + " account(s) below zero");
      break;
    case Invariant::acknowledged_once:
      fail_if(!v.lost.empty() || !v.reordered.empty(),
              count_of(v.lost, "acknowledged but not in the ledger") + "; " +
                  count_of(v.reordered, "committed out of the order their payer was answered in"));
      break;
    case Invariant::no_failed_applied:
      fail_if(!v.flipped.empty(), count_of(v.flipped, "applied although the user was told otherwise, or the reverse"));
      break;
    case Invariant::no_phantom:
      fail_if(!v.phantom.empty(), count_of(v.phantom, "applied that were never sent, or not as sent"));
      break;
    case Invariant::unknown_resolved:
      fail_if(false, std::to_string(v.unknown_applied + v.unknown_not_applied) + " unknown outcome(s) resolved: " +
                         std::to_string(v.unknown_applied) + " applied, " + std::to_string(v.unknown_not_applied) +
                         " not");
      break;
  }
  return r;
}

}  // namespace

const char* to_string(Invariant i) {
  switch (i) {
    case Invariant::conserved: return "conserved";
    case Invariant::no_negative: return "no_negative";
    case Invariant::acknowledged_once: return "acknowledged_once";
    case Invariant::no_failed_applied: return "no_failed_applied";
    case Invariant::no_phantom: return "no_phantom";
    case Invariant::unknown_resolved: return "unknown_resolved";
  }
  return "?";
}

LedgerReading read_ledger(const std::string& api_url, const drill::PaymentsDialect& dialect,
                          const std::vector<drill::SentPayment>& sent, const std::string& key_prefix) {
  LedgerReading out;
  if (dialect.snapshot.empty()) {
    // Not knowing is not passing: the invariants asked for stay unknown.
    out.error = "no ledger to read: workload.payments.snapshot is empty";
    return out;
  }
  try {
    // A big ledger takes seconds to read and send.
    drill::PaymentsApi api(api_url, std::chrono::seconds(60), dialect);
    out.verdict = drill::check_ledger(drill::parse_snapshot(api.get_json(dialect.snapshot)), sent, key_prefix);
  } catch (const std::exception& e) {
    out.error = std::string("could not read the ledger: ") + e.what();
  }
  return out;
}

std::vector<InvariantResult> judge_invariants(const std::vector<Invariant>& wanted, const LedgerReading& ledger) {
  std::vector<InvariantResult> out;
  for (const Invariant inv : wanted) {
    if (!ledger.verdict) {
      out.push_back({inv, Judged::unknown, ledger.error});
      continue;
    }
    out.push_back(judge_one(inv, *ledger.verdict));
  }
  return out;
}

}  // namespace injector::run
