#pragma once
// The etcd v3 JSON gateway's wire format, without any I/O: requests built
// from plain structs, answers parsed back. The gateway's quirks live here:
// keys and values are base64, 64-bit integers are JSON strings, and fields at
// their default value are omitted (no "kvs", no "succeeded", no "count").

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace payments {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct RangeResult {
  int64_t revision = 0;  // the store's revision the answer reflects
  std::vector<KeyValue> kvs;
  int64_t count = 0;
  bool more = false;
};

// Compares are all EQUAL: that is all the payment system needs.
enum class CmpTarget { Version, Create, Mod };
struct Compare {
  std::string key;
  CmpTarget target;
  int64_t value;
};

struct Txn;

struct Op {
  enum class Kind { Put, Range, Txn };
  Kind kind;
  std::string key;
  std::string value;      // Put only
  int64_t lease = 0;      // Put only; 0 = no lease
  std::string range_end;  // Range only; empty = the single key
  // Range only: answered by the member from its own state, without a
  // consensus round (may lag the leader slightly).
  bool serializable = false;
  // Txn only: a transaction of its own inside this one. etcd decides each
  // nested txn's compares separately, so one txn can carry many payments that
  // succeed or fail independently (but no two may put the same key).
  std::shared_ptr<const Txn> txn;
};

struct Txn {
  std::vector<Compare> compares;
  std::vector<Op> success;
  std::vector<Op> failure;
};

struct TxnResult {
  int64_t revision = 0;
  bool succeeded = false;
  // One per op of the branch taken, in order; a Put or a Txn yields an empty result.
  std::vector<RangeResult> responses;
  // One per Txn op of the branch taken, in order.
  std::vector<TxnResult> txns;
};

// A JSON integer field that the gateway may send as a string, a number, or omit (0).
int64_t json_int(const nlohmann::json& obj, const char* name);

// The smallest key greater than every key starting with prefix (etcd's range_end for a prefix).
std::string prefix_end(const std::string& prefix);

Op put_op(std::string key, std::string value, int64_t lease = 0);
Op range_op(std::string key, std::string range_end = {});
Op serializable_range_op(std::string key);
Op txn_op(Txn txn);

nlohmann::json txn_to_json(const Txn& txn);
nlohmann::json range_request(const std::string& key, const std::string& range_end = {},
                             int64_t revision = 0, int64_t limit = 0, bool serializable = false);

// Throw std::invalid_argument on a malformed answer.
RangeResult range_from_json(const nlohmann::json& answer);
TxnResult txn_from_json(const nlohmann::json& answer);

}  // namespace payments
