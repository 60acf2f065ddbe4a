#pragma once
// A payment request, its stored record, and the single etcd transaction that
// commits it: pure functions, no I/O (ledger.cpp runs them against etcd).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "config.h"
#include "etcd_codec.h"

namespace payments {

struct PaymentRequest {
  int64_t from = 0;
  int64_t to = 0;
  int64_t amount_minor = 0;
  std::string currency;
};

// "" if the Idempotency-Key is acceptable, else why not (1..128 of [A-Za-z0-9._:-]).
std::string check_idempotency_key(const std::string& key);
// The request, or the reason it is refused (400).
std::variant<PaymentRequest, std::string> parse_payment(const std::string& body, const PayConfig& config);
// Identifies the request's meaning, whatever its JSON spelling (SHA-256, hex).
std::string body_hash(const PaymentRequest& r);

struct Record {
  std::string key;
  std::string status;  // "applied" or "declined"
  int64_t from = 0, to = 0, amount_minor = 0;
  std::string currency;
  std::string served_by;
  int unit = 0;
  int64_t epoch = 0;
  std::string body_hash;
  std::string reason;  // declined only
};
nlohmann::json record_to_json(const Record& r);
Record record_from_json(const nlohmann::json& j);  // throws std::invalid_argument

// Account values: {"balance_minor":N,"currency":"CNY"}.
std::string account_value(int64_t balance_minor, const std::string& currency);
int64_t account_balance(const std::string& value);  // throws std::invalid_argument

// What the payment was decided on: both accounts and the payer unit's owner
// key as read, at their mod revisions.
struct PaymentRead {
  int64_t from_balance = 0, from_mod = 0;
  int64_t to_balance = 0, to_mod = 0;
  int64_t epoch = 0;  // the owner key's mod revision: this service's fencing token
};

// Applies or declines: a debit below zero is declined.
Record decide(const std::string& key, const PaymentRequest& r, const PaymentRead& read, const std::string& dc,
              int unit);
// The one transaction: commits only if the record does not exist yet, the
// accounts have not changed since read, and the owner key is still at epoch.
// Its failure branch reads back the record and the owner key (in that order).
Txn payment_txn(const Record& rec, const PaymentRead& read);

}  // namespace payments
