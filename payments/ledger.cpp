#include "ledger.h"

#include <algorithm>
#include <chrono>

namespace payments {

using nlohmann::json;

namespace {

constexpr int kMaxAttempts = 8;

Answer error(int status, const std::string& code, const std::string& detail, int retry_after = 0) {
  return Answer{status, json{{"error", code}, {"detail", detail}}, false, retry_after};
}

// Releases an in-flight key however pay() returns.
struct InflightGuard {
  std::mutex& mu;
  std::set<std::string>& keys;
  std::string key;
  ~InflightGuard() {
    std::lock_guard lock(mu);
    keys.erase(key);
  }
};

}  // namespace

json served_record(const KeyValue& kv) {
  json j = json::parse(kv.value, nullptr, false);
  if (!j.is_object()) j = json{{"raw", kv.value}};
  j["revision"] = kv.mod_revision;
  return j;
}

Ledger::Ledger(EtcdClient& etcd, const PayConfig& config, std::string dc, const Ownership& ownership)
    : etcd_(etcd), config_(config), dc_(std::move(dc)), ownership_(ownership) {}

Answer Ledger::stored(const KeyValue& kv, const std::string& hash) const {
  Record rec;
  try {
    rec = record_from_json(json::parse(kv.value));
  } catch (const std::exception& e) {
    return error(500, "bad_record", e.what());
  }
  if (rec.body_hash != hash)
    return error(422, "key_reused", "this Idempotency-Key was used for a different payment");
  return Answer{201, served_record(kv), true, 0};
}

Answer Ledger::pay(const std::string& key, const PaymentRequest& r) {
  {
    std::lock_guard lock(inflight_mu_);
    if (!inflight_.insert(key).second)
      return error(409, "in_progress", "a payment with this Idempotency-Key is being processed", 1);
  }
  InflightGuard guard{inflight_mu_, inflight_, key};
  try {
    return pay_attempts(key, r);
  } catch (const EtcdError& e) {
    // The txn may or may not have committed: the client retries with the same key.
    return error(503, "unknown", e.what(), 1);
  }
}

std::optional<Answer> Ledger::refusal(const TxnResult& got, int unit) const {
  if (got.responses[1].kvs.empty())
    return error(503, "no_owner", "unit " + std::to_string(unit) + " has no owner (failover in progress)", 1);
  const KeyValue& owner = got.responses[1].kvs.front();
  std::string owner_name = owner_dc(owner.value);
  if (owner_name != dc_) {
    Answer a = error(421, "not_owner", "unit " + std::to_string(unit) + " is owned by " + owner_name);
    a.body["owner"] = owner_name;
    return a;
  }
  auto epoch = ownership_.epoch_of(unit);
  if (!epoch || *epoch != owner.mod_revision)
    return error(503, "not_ready", "this service does not hold unit " + std::to_string(unit) + " right now", 1);
  if (got.responses[2].kvs.empty() || got.responses[3].kvs.empty())
    return error(500, "no_account", "an account is missing from the ledger");
  return std::nullopt;
}

Answer Ledger::pay_attempts(const std::string& key, const PaymentRequest& r) {
  const std::string hash = body_hash(r);
  const int unit = config_.unit_of(r.from);
  const auto budget = 4 * etcd_.deadline();
  const auto start = std::chrono::steady_clock::now();
  // The first read is served by the local member without a consensus round.
  // It may lag: a refusal it suggests is confirmed by a linearizable read,
  // and a commit decided on it fails its compares (then we read linearizably).
  // A record it shows is final either way: records are never rewritten.
  bool serializable = true;
  for (int attempt = 0; attempt < kMaxAttempts && std::chrono::steady_clock::now() - start < budget; ++attempt) {
    Txn read;  // one consistent read of everything the decision depends on
    for (const auto& k : {payment_key(key), unit_owner_key(unit), account_key(r.from), account_key(r.to)})
      read.success.push_back(serializable ? serializable_range_op(k) : range_op(k));
    TxnResult got = etcd_.txn(read);
    if (got.responses.size() != 4) return error(500, "etcd", "short read txn answer");
    if (!got.responses[0].kvs.empty()) return stored(got.responses[0].kvs.front(), hash);
    if (auto no = refusal(got, unit)) {
      if (!serializable) return *no;
      serializable = false;
      continue;
    }
    serializable = false;
    PaymentRead pr;
    pr.from_balance = account_balance(got.responses[2].kvs.front().value);
    pr.from_mod = got.responses[2].kvs.front().mod_revision;
    pr.to_balance = account_balance(got.responses[3].kvs.front().value);
    pr.to_mod = got.responses[3].kvs.front().mod_revision;
    pr.epoch = got.responses[1].kvs.front().mod_revision;  // == the epoch this service holds (refusal checked)
    Record rec = decide(key, r, pr, dc_, unit);
    TxnResult res = etcd_.txn(payment_txn(rec, pr));
    if (res.succeeded) {
      json body = record_to_json(rec);
      body["revision"] = res.revision;
      return Answer{201, body, false, 0};
    }
    if (!res.responses.empty() && !res.responses[0].kvs.empty()) return stored(res.responses[0].kvs.front(), hash);
    // The owner key or a balance changed: the next read says which.
  }
  return error(503, "contention", "the accounts kept changing; retry with the same key", 1);
}

Answer Ledger::get_payment(const std::string& key) {
  RangeResult r = etcd_.range(payment_key(key));
  if (r.kvs.empty()) return error(404, "not_found", "no payment under this key");
  return Answer{200, served_record(r.kvs.front()), false, 0};
}

Answer Ledger::get_account(int64_t id) {
  RangeResult r = etcd_.range(account_key(id));
  if (r.kvs.empty()) return error(404, "not_found", "no such account");
  const KeyValue& kv = r.kvs.front();
  return Answer{200,
                json{{"id", id},
                     {"balance_minor", account_balance(kv.value)},
                     {"currency", config_.currency},
                     {"unit", config_.unit_of(id)},
                     {"revision", kv.mod_revision}},
                false, 0};
}

namespace {

json units_json(const PayConfig& config, const RangeResult& owners) {
  json units = json::array();
  for (int u = 0; u < config.units; ++u) {
    const std::string& home = config.home[static_cast<size_t>(u)];
    json j{{"unit", u}, {"owner", nullptr}, {"epoch", 0}, {"home", home}, {"takeover", config.takeover_of(home)}};
    for (const auto& kv : owners.kvs)
      if (unit_from_owner_key(kv.key) == u) {
        j["owner"] = owner_dc(kv.value);
        j["epoch"] = kv.mod_revision;
      }
    units.push_back(j);
  }
  return units;
}

}  // namespace

Answer Ledger::units() {
  RangeResult owners = etcd_.range_prefix(kUnitPrefix);
  return Answer{200, json{{"revision", owners.revision}, {"units", units_json(config_, owners)}}, false, 0};
}

Answer Ledger::snapshot() {
  // Big reads: a page of 10,000 keys takes etcd ~0.5 s to send; page them (etcd_client.cpp).
  const auto deadline = std::max(10 * etcd_.deadline(), std::chrono::milliseconds(5000));
  RangeResult accts = etcd_.range_prefix(kAccountPrefix, 0, deadline);
  const int64_t rev = accts.revision;
  RangeResult pmts = etcd_.range_prefix(kPaymentPrefix, rev, deadline);
  RangeResult owners = etcd_.range_prefix(kUnitPrefix, rev, deadline);
  json accounts = json::array();
  int64_t total = 0;
  for (const auto& kv : accts.kvs) {
    int64_t bal = account_balance(kv.value);
    total += bal;
    accounts.push_back({{"id", account_from_key(kv.key)}, {"balance_minor", bal}});
  }
  json records = json::array();
  for (const auto& kv : pmts.kvs) records.push_back(served_record(kv));
  return Answer{200,
                json{{"revision", rev},
                     {"config", config_to_json(config_)},
                     {"total_minor", total},
                     {"accounts", accounts},
                     {"payments", records},
                     {"units", units_json(config_, owners)}},
                false, 0};
}

}  // namespace payments
