#pragma once
// What the service answers a request with, and the answers the ledger and the
// committer both give: an error, and a payment record already stored.

#include <nlohmann/json.hpp>

#include <string>

#include "etcd_codec.h"

namespace payments {

struct Answer {
  int status = 200;
  nlohmann::json body;
  bool replay = false;   // a stored outcome returned again (Idempotent-Replay: true)
  int retry_after = 0;   // seconds; 0 = no Retry-After header
};

Answer error_answer(int status, const std::string& code, const std::string& detail, int retry_after = 0);

// A record as served: the stored JSON plus the revision that committed it.
nlohmann::json served_record(const KeyValue& kv);

// The stored outcome under a key, returned again (201, replay), or 422 when
// the key was used for a different payment (body_hash differs).
Answer stored_answer(const KeyValue& kv, const std::string& body_hash);

}  // namespace payments
