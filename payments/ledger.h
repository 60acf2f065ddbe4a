#pragma once
// The service's operations on the replicated ledger in etcd: payments (one
// fenced nested txn each, committed in batches by the Committer), and the
// read-only views.

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "answer.h"
#include "committer.h"
#include "config.h"
#include "etcd_client.h"
#include "ownership.h"
#include "payment.h"

namespace payments {

class Ledger {
 public:
  Ledger(EtcdClient& etcd, const PayConfig& config, std::string dc, const Ownership& ownership,
         CommitOptions commit = {});

  Answer pay(const std::string& key, const PaymentRequest& r);
  Answer get_payment(const std::string& key);
  Answer get_account(int64_t id);
  Answer units();
  // Every balance and every payment record at one revision.
  Answer snapshot();
  Committer::Counts commit_counts() const { return committer_.counts(); }

 private:
  EtcdClient& etcd_;
  const PayConfig& config_;
  Committer committer_;
  std::mutex inflight_mu_;
  std::set<std::string> inflight_;  // keys this service is processing right now
};

}  // namespace payments
