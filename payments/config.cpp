#include "config.h"

#include <cstdio>
#include <set>
#include <sstream>
#include <stdexcept>

namespace payments {

using nlohmann::json;

namespace {

bool valid_dc(const std::string& dc) {
  if (dc.empty() || dc.size() > 32) return false;
  for (char c : dc)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

void check(bool ok, const std::string& msg) {
  if (!ok) throw std::invalid_argument(msg);
}

void validate(const PayConfig& c) {
  check(c.units >= 1 && c.units <= 99, "units must be 1..99");
  check(!c.datacenters.empty(), "datacenters must not be empty");
  std::set<std::string> dcs;
  for (const auto& dc : c.datacenters) {
    check(valid_dc(dc), "datacenter '" + dc + "' must be [a-z0-9-]+");
    check(dcs.insert(dc).second, "datacenter '" + dc + "' is listed twice");
  }
  check(c.home.size() == static_cast<size_t>(c.units), "home must name one datacenter per unit");
  for (const auto& h : c.home) check(dcs.count(h) == 1, "home '" + h + "' is not a datacenter");
  for (const auto& [from, to] : c.takeover) {
    check(dcs.count(from) == 1 && dcs.count(to) == 1, "takeover " + from + "=" + to + " names an unknown datacenter");
    check(from != to, "takeover " + from + "=" + to + " must name another datacenter");
  }
  check(c.currency.size() == 3, "currency must be a 3-letter code");
  check(c.accounts >= 2 && c.accounts <= 99999999, "accounts must be 2..99999999");
  check(c.balance_minor >= 0 && c.balance_minor <= 1000000000000LL, "balance_minor must be 0..1e12");
}

}  // namespace

std::string PayConfig::takeover_of(const std::string& dc) const {
  auto it = takeover.find(dc);
  return it == takeover.end() ? std::string() : it->second;
}

PayConfig make_config(int units, std::vector<std::string> datacenters, std::map<std::string, std::string> takeover,
                      std::string currency, int64_t accounts, int64_t balance_minor) {
  PayConfig c;
  c.units = units;
  c.datacenters = std::move(datacenters);
  check(!c.datacenters.empty(), "datacenters must not be empty");
  for (int u = 0; u < units; ++u) c.home.push_back(c.datacenters[static_cast<size_t>(u) % c.datacenters.size()]);
  c.takeover = std::move(takeover);
  c.currency = std::move(currency);
  c.accounts = accounts;
  c.balance_minor = balance_minor;
  c.total_minor = accounts * balance_minor;
  validate(c);
  return c;
}

json config_to_json(const PayConfig& c) {
  return json{{"units", c.units},       {"datacenters", c.datacenters}, {"home", c.home},
              {"takeover", c.takeover}, {"currency", c.currency},       {"accounts", c.accounts},
              {"balance_minor", c.balance_minor}, {"total_minor", c.total_minor}};
}

PayConfig config_from_json(const json& j) {
  check(j.is_object(), "config must be a JSON object");
  PayConfig c;
  try {
    c.units = j.at("units").get<int>();
    c.datacenters = j.at("datacenters").get<std::vector<std::string>>();
    c.home = j.at("home").get<std::vector<std::string>>();
    c.takeover = j.value("takeover", std::map<std::string, std::string>{});
    c.currency = j.at("currency").get<std::string>();
    c.accounts = j.at("accounts").get<int64_t>();
    c.total_minor = j.at("total_minor").get<int64_t>();
    c.balance_minor = j.value("balance_minor", c.accounts > 0 ? c.total_minor / c.accounts : 0);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("config: ") + e.what());
  }
  validate(c);
  check(c.total_minor == c.accounts * c.balance_minor, "total_minor must be accounts * balance_minor");
  return c;
}

std::map<std::string, std::string> parse_takeover(const std::string& text) {
  std::map<std::string, std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto eq = item.find('=');
    check(eq != std::string::npos && eq > 0 && eq + 1 < item.size(), "takeover '" + item + "' must be DC=DC");
    std::string from = item.substr(0, eq), to = item.substr(eq + 1);
    check(valid_dc(from) && valid_dc(to), "takeover '" + item + "': names must be [a-z0-9-]+");
    check(out.emplace(from, to).second, "takeover for '" + from + "' given twice");
  }
  return out;
}

std::vector<std::string> parse_datacenters(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    check(valid_dc(item), "datacenter '" + item + "' must be [a-z0-9-]+");
    out.push_back(item);
  }
  check(!out.empty(), "no datacenter given");
  return out;
}

std::string account_key(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08lld", static_cast<long long>(id));
  return kAccountPrefix + buf;
}

std::string payment_key(const std::string& idempotency_key) { return kPaymentPrefix + idempotency_key; }

std::string unit_owner_key(int unit) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", unit);
  return kUnitPrefix + buf + "/owner";
}

int unit_from_owner_key(const std::string& key) {
  if (key.size() != kUnitPrefix.size() + 8 || key.rfind(kUnitPrefix, 0) != 0) return -1;
  std::string digits = key.substr(kUnitPrefix.size(), 2);
  if (key.substr(kUnitPrefix.size() + 2) != "/owner") return -1;
  if (digits[0] < '0' || digits[0] > '9' || digits[1] < '0' || digits[1] > '9') return -1;
  return (digits[0] - '0') * 10 + (digits[1] - '0');
}

int64_t account_from_key(const std::string& key) {
  if (key.rfind(kAccountPrefix, 0) != 0 || key.size() == kAccountPrefix.size()) return -1;
  int64_t v = 0;
  for (size_t i = kAccountPrefix.size(); i < key.size(); ++i) {
    if (key[i] < '0' || key[i] > '9') return -1;
    v = v * 10 + (key[i] - '0');
  }
  return v;
}

std::string owner_dc(const std::string& value) {
  json j = json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("dc") || !j["dc"].is_string()) return "?";
  return j["dc"].get<std::string>();
}

}  // namespace payments
