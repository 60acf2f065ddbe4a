#pragma once
// The payment system's shape, stored once in etcd under /pay/config by
// `paysvc seed` and read by every service and the router; and the key layout.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace payments {

struct PayConfig {
  int units = 12;
  std::vector<std::string> datacenters;
  std::vector<std::string> home;                // one DC per unit
  std::map<std::string, std::string> takeover;  // DC -> the DC that takes over its units
  std::string currency = "CNY";
  int64_t accounts = 10000;
  int64_t balance_minor = 100000;  // every account's seeded balance
  int64_t total_minor = 0;         // accounts * balance_minor: what must be conserved

  int unit_of(int64_t account) const { return static_cast<int>(account % units); }
  // The DC that takes over dc's units, or "" if none.
  std::string takeover_of(const std::string& dc) const;
};

// Homes units round-robin over the datacenters. Throws std::invalid_argument.
PayConfig make_config(int units, std::vector<std::string> datacenters,
                      std::map<std::string, std::string> takeover, std::string currency, int64_t accounts,
                      int64_t balance_minor);

nlohmann::json config_to_json(const PayConfig& c);
// Validates every field; throws std::invalid_argument naming the field.
PayConfig config_from_json(const nlohmann::json& j);

// "hz=sh,sh=sz,sz=hz" -> map; throws std::invalid_argument.
std::map<std::string, std::string> parse_takeover(const std::string& text);
// "hz,sh,sz" -> list of DC names ([a-z0-9-]+); throws std::invalid_argument.
std::vector<std::string> parse_datacenters(const std::string& text);

// Keys in etcd.
inline const std::string kConfigKey = "/pay/config";
inline const std::string kAccountPrefix = "/pay/acct/";
inline const std::string kPaymentPrefix = "/pay/pmt/";
inline const std::string kUnitPrefix = "/pay/unit/";
std::string account_key(int64_t id);         // /pay/acct/00000042
std::string payment_key(const std::string& idempotency_key);
std::string unit_owner_key(int unit);        // /pay/unit/07/owner
int unit_from_owner_key(const std::string& key);  // -1 if not an owner key
int64_t account_from_key(const std::string& key); // -1 if not an account key
// The DC named by an owner key's value {"dc":...}; "?" if unreadable.
std::string owner_dc(const std::string& value);

}  // namespace payments
