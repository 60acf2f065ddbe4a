#include "ledger.h"

#include <algorithm>
#include <chrono>

namespace payments {

using nlohmann::json;

namespace {

Answer error(int status, const std::string& code, const std::string& detail, int retry_after = 0) {
  return error_answer(status, code, detail, retry_after);
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

Ledger::Ledger(EtcdClient& etcd, const PayConfig& config, std::string dc, const Ownership& ownership,
               CommitOptions commit)
    : etcd_(etcd), config_(config), committer_(etcd, config, std::move(dc), ownership, commit) {}

Answer Ledger::pay(const std::string& key, const PaymentRequest& r) {
  {
    std::lock_guard lock(inflight_mu_);
    if (!inflight_.insert(key).second)
      return error(409, "in_progress", "a payment with this Idempotency-Key is being processed", 1);
  }
  InflightGuard guard{inflight_mu_, inflight_, key};
  return committer_.pay(key, r);
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
