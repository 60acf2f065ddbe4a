#pragma once
// `paysvc seed`: writes every account, then /pay/config (which marks the
// ledger as seeded). Refuses if /pay/config exists.

#include <stdexcept>

#include "config.h"
#include "etcd_client.h"

namespace payments {

class AlreadySeeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws AlreadySeeded, or EtcdError if etcd keeps failing.
void seed_ledger(EtcdClient& etcd, const PayConfig& config);

// etcd's default --max-txn-ops is 128.
inline constexpr size_t kMaxTxnOps = 128;

}  // namespace payments
