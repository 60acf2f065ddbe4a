#include "injector/drill/ledger_check.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace injector::drill {

namespace {

std::invalid_argument bad(const std::string& field, const std::string& why) {
  return std::invalid_argument("ledger snapshot: " + field + ": " + why);
}

// Integers may arrive as JSON numbers or as decimal strings (etcd's gateway
// spells 64-bit integers as strings, and services pass that on).
std::int64_t int_field(const nlohmann::json& j, const std::string& name, const std::string& where) {
  if (!j.is_object() || !j.contains(name)) throw bad(where + name, "missing");
  const auto& v = j.at(name);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      const std::int64_t n = std::stoll(v.get<std::string>(), &used);
      if (used == v.get<std::string>().size()) return n;
    } catch (const std::exception&) {
    }
  }
  throw bad(where + name, "not an integer");
}

std::string string_field(const nlohmann::json& j, const std::string& name, const std::string& where) {
  if (!j.contains(name) || !j.at(name).is_string()) throw bad(where + name, "missing or not a string");
  return j.at(name).get<std::string>();
}

LedgerRecord parse_record(const nlohmann::json& p, const std::string& where) {
  LedgerRecord r;
  r.status = string_field(p, "status", where);
  if (r.status != "applied" && r.status != "declined") throw bad(where + "status", "not applied or declined");
  r.request.from = int_field(p, "from", where);
  r.request.to = int_field(p, "to", where);
  r.request.amount_minor = int_field(p, "amount_minor", where);
  r.request.currency = string_field(p, "currency", where);
  r.revision = int_field(p, "revision", where);
  if (p.contains("served_by") && p["served_by"].is_string()) r.served_by = p["served_by"];
  return r;
}

}  // namespace

LedgerSnapshot parse_snapshot(const nlohmann::json& j) {
  LedgerSnapshot s;
  s.revision = int_field(j, "revision", "");
  // What was seeded, from the system's own configuration: the balances are
  // judged against it, never against a sum the service computed.
  if (!j.contains("config") || !j["config"].is_object()) throw bad("config", "missing or not an object");
  s.total_minor = int_field(j["config"], "total_minor", "config.");
  s.initial_balance_minor = int_field(j["config"], "balance_minor", "config.");
  if (!j.contains("accounts") || !j["accounts"].is_array()) throw bad("accounts", "missing or not a list");
  for (std::size_t i = 0; i < j["accounts"].size(); ++i) {
    const auto& a = j["accounts"][i];
    const std::string where = "accounts[" + std::to_string(i) + "].";
    s.balances[int_field(a, "id", where)] = int_field(a, "balance_minor", where);
  }
  if (!j.contains("payments") || !j["payments"].is_array()) throw bad("payments", "missing or not a list");
  for (std::size_t i = 0; i < j["payments"].size(); ++i) {
    const auto& p = j["payments"][i];
    const std::string where = "payments[" + std::to_string(i) + "].";
    const std::string key = string_field(p, "key", where);
    if (!s.records.emplace(key, parse_record(p, where)).second) throw bad(where + "key", "appears twice: " + key);
  }
  return s;
}

namespace {

void check_balances(const LedgerSnapshot& s, LedgerVerdict& v) {
  std::map<std::int64_t, std::int64_t> replayed;
  for (const auto& [id, balance] : s.balances) replayed[id] = s.initial_balance_minor;
  for (const auto& [key, r] : s.records) {
    if (r.status != "applied") continue;
    replayed[r.request.from] -= r.request.amount_minor;
    replayed[r.request.to] += r.request.amount_minor;
  }
  for (const auto& [id, balance] : s.balances) {
    v.balance_sum += balance;
    if (balance < 0) v.negative.push_back(id);
  }
  for (const auto& [id, expected] : replayed) {
    const auto it = s.balances.find(id);
    if (it == s.balances.end() || it->second != expected) v.replay_mismatch.push_back(id);
  }
  v.conserved = v.balance_sum == s.total_minor;
}

bool same_request(const PaymentRequest& a, const PaymentRequest& b) {
  return a.from == b.from && a.to == b.to && a.amount_minor == b.amount_minor && a.currency == b.currency;
}

void check_outcomes(const LedgerSnapshot& s, const std::vector<SentPayment>& sent, LedgerVerdict& v) {
  for (const SentPayment& p : sent) {
    const auto it = s.records.find(p.key);
    const LedgerRecord* r = it == s.records.end() ? nullptr : &it->second;
    if (p.attempts.empty()) {  // planned, never sent (the drill ended first): any record of it is a phantom
      if (r) v.phantom.push_back(p.key);
      continue;
    }
    if (r && !same_request(r->request, p.request)) {
      v.phantom.push_back(p.key);
      continue;
    }
    const bool applied = r && r->status == "applied";
    switch (p.outcome) {
      case Outcome::kApplied:
        if (!applied) v.lost.push_back(p.key);
        break;
      case Outcome::kDeclined:
        if (!r || r->status != "declined") v.flipped.push_back(p.key);
        break;
      case Outcome::kRefused:
        if (applied) v.phantom.push_back(p.key);
        break;
      case Outcome::kUnknown:
        ++(applied ? v.unknown_applied : v.unknown_not_applied);
        break;
    }
  }
}

void check_phantoms(const LedgerSnapshot& s, const std::vector<SentPayment>& sent, const std::string& prefix,
                    LedgerVerdict& v) {
  std::unordered_map<std::string, bool> ours;
  for (const SentPayment& p : sent) ours.emplace(p.key, true);
  for (const auto& [key, r] : s.records) {
    if (key.rfind(prefix, 0) == 0 && !ours.count(key)) v.phantom.push_back(key);
  }
}

// A payer's payment sent after another of theirs was acknowledged must
// commit after it: the order users were told is the ledger's order.
void check_order(const LedgerSnapshot& s, const std::vector<SentPayment>& sent, LedgerVerdict& v) {
  struct Acked {
    std::int64_t first_start_us, ack_us, revision;
    const std::string* key;
  };
  std::map<std::int64_t, std::vector<Acked>> by_payer;
  for (const SentPayment& p : sent) {
    const auto it = s.records.find(p.key);
    if (!p.acknowledged() || it == s.records.end() || p.attempts.empty()) continue;
    by_payer[p.request.from].push_back({p.attempts.front().start_us, p.final_attempt()->end_us,
                                        it->second.revision, &p.key});
  }
  for (auto& [payer, list] : by_payer) {
    std::vector<Acked> by_ack = list;
    std::sort(by_ack.begin(), by_ack.end(), [](auto& a, auto& b) { return a.ack_us < b.ack_us; });
    std::sort(list.begin(), list.end(), [](auto& a, auto& b) { return a.first_start_us < b.first_start_us; });
    std::size_t done = 0;
    std::int64_t latest_before = 0;  // highest revision acknowledged before this payment was first sent
    for (const Acked& b : list) {
      while (done < by_ack.size() && by_ack[done].ack_us < b.first_start_us) {
        latest_before = std::max(latest_before, by_ack[done++].revision);
      }
      if (b.revision < latest_before) v.reordered.push_back(*b.key);
    }
  }
}

nlohmann::json first_few(const auto& list) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < list.size() && i < 10; ++i) out.push_back(list[i]);
  return out;
}

}  // namespace

LedgerVerdict check_ledger(const LedgerSnapshot& snapshot, const std::vector<SentPayment>& sent,
                           const std::string& key_prefix) {
  LedgerVerdict v;
  check_balances(snapshot, v);
  check_outcomes(snapshot, sent, v);
  check_phantoms(snapshot, sent, key_prefix, v);
  check_order(snapshot, sent, v);
  return v;
}

nlohmann::json LedgerVerdict::to_json() const {
  return {{"ok", ok()},
          {"conserved", conserved},
          {"balance_sum_minor", balance_sum},
          {"negative", {{"count", negative.size()}, {"first", first_few(negative)}}},
          {"replay_mismatch", {{"count", replay_mismatch.size()}, {"first", first_few(replay_mismatch)}}},
          {"lost", {{"count", lost.size()}, {"first", first_few(lost)}}},
          {"flipped", {{"count", flipped.size()}, {"first", first_few(flipped)}}},
          {"phantom", {{"count", phantom.size()}, {"first", first_few(phantom)}}},
          {"reordered", {{"count", reordered.size()}, {"first", first_few(reordered)}}},
          {"unknown_applied", unknown_applied},
          {"unknown_not_applied", unknown_not_applied}};
}

}  // namespace injector::drill
