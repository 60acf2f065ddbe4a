#include "answer.h"

#include "payment.h"

namespace payments {

using nlohmann::json;

Answer error_answer(int status, const std::string& code, const std::string& detail, int retry_after) {
  return Answer{status, json{{"error", code}, {"detail", detail}}, false, retry_after};
}

json served_record(const KeyValue& kv) {
  json j = json::parse(kv.value, nullptr, false);
  if (!j.is_object()) j = json{{"raw", kv.value}};
  j["revision"] = kv.mod_revision;
  return j;
}

Answer stored_answer(const KeyValue& kv, const std::string& body_hash) {
  Record rec;
  try {
    rec = record_from_json(json::parse(kv.value));
  } catch (const std::exception& e) {
    return error_answer(500, "bad_record", e.what());
  }
  if (rec.body_hash != body_hash)
    return error_answer(422, "key_reused", "this Idempotency-Key was used for a different payment");
  return Answer{201, served_record(kv), true, 0};
}

}  // namespace payments
