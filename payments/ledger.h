#pragma once
// The service's operations on the replicated ledger in etcd: payments (one
// fenced txn each, with bounded retries), and the read-only views.

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "config.h"
#include "etcd_client.h"
#include "ownership.h"
#include "payment.h"

namespace payments {

struct Answer {
  int status = 200;
  nlohmann::json body;
  bool replay = false;   // a stored outcome returned again (Idempotent-Replay: true)
  int retry_after = 0;   // seconds; 0 = no Retry-After header
};

class Ledger {
 public:
  Ledger(EtcdClient& etcd, const PayConfig& config, std::string dc, const Ownership& ownership);

  Answer pay(const std::string& key, const PaymentRequest& r);
  Answer get_payment(const std::string& key);
  Answer get_account(int64_t id);
  Answer units();
  // Every balance and every payment record at one revision.
  Answer snapshot();

 private:
  Answer pay_attempts(const std::string& key, const PaymentRequest& r);
  Answer stored(const KeyValue& kv, const std::string& hash) const;
  // Why this service may not commit on this read (owner, epoch, accounts), if so.
  std::optional<Answer> refusal(const TxnResult& got, int unit) const;

  EtcdClient& etcd_;
  const PayConfig& config_;
  const std::string dc_;
  const Ownership& ownership_;
  std::mutex inflight_mu_;
  std::set<std::string> inflight_;  // keys this service is processing right now
};

// A record as served: the stored JSON plus the revision that committed it.
nlohmann::json served_record(const KeyValue& kv);

}  // namespace payments
