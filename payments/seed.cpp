#include "seed.h"

#include <spdlog/spdlog.h>

#include "payment.h"

namespace payments {

namespace {

// Puts are idempotent: a batch whose answer was lost is simply sent again.
void put_batch(EtcdClient& etcd, const Txn& t) {
  for (int attempt = 1;; ++attempt) {
    try {
      TxnResult r = etcd.txn(t);
      if (!r.succeeded) throw EtcdError("etcd: seed batch not applied", true);
      return;
    } catch (const EtcdError& e) {
      if (e.definite() || attempt >= 5) throw;
      spdlog::warn("paysvc seed: batch failed ({}), again", e.what());
    }
  }
}

}  // namespace

void seed_ledger(EtcdClient& etcd, const PayConfig& config) {
  if (!etcd.range(kConfigKey).kvs.empty()) throw AlreadySeeded(kConfigKey + " already exists: the ledger is seeded");
  // Accounts first and the config last: a seed that dies half-way leaves no
  // config, so services do not start on a partial ledger and seed can rerun.
  Txn batch;
  for (int64_t id = 0; id < config.accounts; ++id) {
    batch.success.push_back(put_op(account_key(id), account_value(config.balance_minor, config.currency)));
    if (batch.success.size() == kMaxTxnOps) {
      put_batch(etcd, batch);
      batch.success.clear();
    }
  }
  if (!batch.success.empty()) put_batch(etcd, batch);
  Txn cfg;
  cfg.compares.push_back({kConfigKey, CmpTarget::Version, 0});
  cfg.success.push_back(put_op(kConfigKey, config_to_json(config).dump()));
  if (!etcd.txn(cfg).succeeded) throw AlreadySeeded(kConfigKey + " was written by someone else meanwhile");
}

}  // namespace payments
