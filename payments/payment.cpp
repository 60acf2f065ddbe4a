#include "payment.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace payments {

using nlohmann::json;

std::string check_idempotency_key(const std::string& key) {
  if (key.empty()) return "missing Idempotency-Key header";
  if (key.size() > 128) return "Idempotency-Key longer than 128 characters";
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return "Idempotency-Key may contain only A-Z a-z 0-9 . _ : -";
  }
  return {};
}

namespace {

std::optional<int64_t> int_member(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

std::variant<PaymentRequest, std::string> parse_payment(const std::string& body, const PayConfig& config) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::string("body must be a JSON object");
  for (const auto& [k, v] : j.items())
    if (k != "from" && k != "to" && k != "amount_minor" && k != "currency")
      return "unknown field '" + k + "' (allowed: from, to, amount_minor, currency)";
  PaymentRequest r;
  auto from = int_member(j, "from"), to = int_member(j, "to"), amount = int_member(j, "amount_minor");
  if (!from || *from < 0 || *from >= config.accounts)
    return "from must be an account id 0.." + std::to_string(config.accounts - 1);
  if (!to || *to < 0 || *to >= config.accounts)
    return "to must be an account id 0.." + std::to_string(config.accounts - 1);
  if (*from == *to) return std::string("from and to must differ");
  if (!amount || *amount <= 0 || *amount > config.total_minor)
    return "amount_minor must be an integer 1.." + std::to_string(config.total_minor);
  auto cur = j.find("currency");
  if (cur == j.end() || !cur->is_string() || cur->get<std::string>() != config.currency)
    return "currency must be \"" + config.currency + "\"";
  r.from = *from;
  r.to = *to;
  r.amount_minor = *amount;
  r.currency = config.currency;
  return r;
}

std::string body_hash(const PaymentRequest& r) {
  std::string canon = "from=" + std::to_string(r.from) + ";to=" + std::to_string(r.to) +
                      ";amount_minor=" + std::to_string(r.amount_minor) + ";currency=" + r.currency;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(canon.data(), canon.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

json record_to_json(const Record& r) {
  json j{{"key", r.key},           {"status", r.status},     {"from", r.from},   {"to", r.to},
         {"amount_minor", r.amount_minor}, {"currency", r.currency}, {"served_by", r.served_by},
         {"unit", r.unit},         {"epoch", r.epoch},       {"body_hash", r.body_hash}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j;
}

Record record_from_json(const json& j) {
  try {
    Record r;
    r.key = j.at("key").get<std::string>();
    r.status = j.at("status").get<std::string>();
    r.from = j.at("from").get<int64_t>();
    r.to = j.at("to").get<int64_t>();
    r.amount_minor = j.at("amount_minor").get<int64_t>();
    r.currency = j.at("currency").get<std::string>();
    r.served_by = j.at("served_by").get<std::string>();
    r.unit = j.at("unit").get<int>();
    r.epoch = j.at("epoch").get<int64_t>();
    r.body_hash = j.at("body_hash").get<std::string>();
    r.reason = j.value("reason", "");
    if (r.status != "applied" && r.status != "declined") throw std::invalid_argument("bad status");
    return r;
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("record: ") + e.what());
  }
}

std::string account_value(int64_t balance_minor, const std::string& currency) {
  return json{{"balance_minor", balance_minor}, {"currency", currency}}.dump();
}

int64_t account_balance(const std::string& value) {
  json j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("balance_minor") || !j["balance_minor"].is_number_integer())
    throw std::invalid_argument("account value has no integer balance_minor");
  return j["balance_minor"].get<int64_t>();
}

Record decide(const std::string& key, const PaymentRequest& r, const PaymentRead& read, const std::string& dc,
              int unit) {
  Record rec;
  rec.key = key;
  rec.from = r.from;
  rec.to = r.to;
  rec.amount_minor = r.amount_minor;
  rec.currency = r.currency;
  rec.served_by = dc;
  rec.unit = unit;
  rec.epoch = read.epoch;
  rec.body_hash = body_hash(r);
  if (read.from_balance < r.amount_minor) {
    rec.status = "declined";
    rec.reason = "insufficient_funds";
  } else {
    rec.status = "applied";
  }
  return rec;
}

Txn payment_txn(const Record& rec, const PaymentRead& read) {
  Txn t;
  const std::string pkey = payment_key(rec.key);
  const int unit = rec.unit;
  t.compares.push_back({pkey, CmpTarget::Version, 0});
  t.compares.push_back({unit_owner_key(unit), CmpTarget::Mod, read.epoch});
  // A decline also depends on the payer's balance as read: a credit landing
  // in between would have made it an applied payment.
  t.compares.push_back({account_key(rec.from), CmpTarget::Mod, read.from_mod});
  t.success.push_back(put_op(pkey, record_to_json(rec).dump()));
  if (rec.status == "applied") {
    t.compares.push_back({account_key(rec.to), CmpTarget::Mod, read.to_mod});
    t.success.push_back(put_op(account_key(rec.from), account_value(read.from_balance - rec.amount_minor, rec.currency)));
    t.success.push_back(put_op(account_key(rec.to), account_value(read.to_balance + rec.amount_minor, rec.currency)));
  }
  t.failure.push_back(range_op(pkey));
  t.failure.push_back(range_op(unit_owner_key(unit)));
  return t;
}

}  // namespace payments
