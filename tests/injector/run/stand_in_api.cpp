#include "tests/injector/run/stand_in_api.h"

#include <nlohmann/json.hpp>

namespace injector::testing {
namespace {

using nlohmann::json;

}  // namespace

StandInApi::StandInApi(Breakage breakage) : breakage_(breakage) {
  for (std::int64_t id = 0; id < kAccounts; ++id) balances_[id] = breakage_.balance;
  auto& s = http_.server();
  // The drill's workers (up to 150 at 100/s) keep connections open: a
  // thread for each, and no closing after httplib's default of 5 requests.
  s.new_task_queue = [] { return new httplib::ThreadPool(160); };
  s.set_keep_alive_max_count(100000);
  s.Post("/v1/payments", [this](const httplib::Request& req, httplib::Response& res) { pay(req, res); });
  s.Get("/v1/units", [](const httplib::Request&, httplib::Response& res) {
    const json units = {{"revision", 1},
                        {"units", json::array({{{"unit", 0}, {"owner", "hz"}, {"epoch", 1}, {"home", "hz"}},
                                               {{"unit", 1}, {"owner", "sh"}, {"epoch", 1}, {"home", "sh"}}})}};
    res.set_content(units.dump(), "application/json");
  });
  s.Get("/v1/ledger/snapshot", [this](const httplib::Request&, httplib::Response& res) { snapshot(res); });
  http_.start();
}

int StandInApi::payments_answered() const {
  std::lock_guard lock(mu_);
  return answered_;
}

int StandInApi::outage_answers() const {
  std::lock_guard lock(mu_);
  return outage_answers_;
}

bool StandInApi::in_outage(std::chrono::steady_clock::time_point now) {
  if (!first_payment_) first_payment_ = now;
  if (!breakage_.outage_from) return false;
  const auto since = now - *first_payment_;
  return since >= *breakage_.outage_from && (!breakage_.outage_until || since < *breakage_.outage_until);
}

void StandInApi::commit(Record r, int times) {
  r.revision = ++revision_;
  // times 2 is the duplicated payment: the balances move twice, the ledger shows it once.
  balances_[r.from] -= r.amount * times;
  balances_[r.to] += r.amount * times;
  records_[r.key] = r;
}

// A payment nobody sent, committed correctly (balances and record agree),
// under the prefix of the key it came with: "drill-<run>-17" -> "drill-<run>-phantom".
void StandInApi::add_phantom(const std::string& key) {
  Record r;
  r.key = key.substr(0, key.rfind('-') + 1) + "phantom";
  r.from = 0;
  r.to = 1;
  r.amount = 7;
  r.currency = "CNY";
  commit(r, 1);
}

void StandInApi::pay(const httplib::Request& req, httplib::Response& res) {
  const json body = json::parse(req.body, nullptr, false);
  const std::string key = req.get_header_value("Idempotency-Key");
  if (key.empty() || body.is_discarded() || !body.is_object()) {
    res.status = 400;
    return;
  }
  std::lock_guard lock(mu_);
  ++answered_;
  res.set_header("X-Served-By", "hz");
  if (in_outage(std::chrono::steady_clock::now())) {
    ++outage_answers_;
    res.status = 503;
    res.set_header("Retry-After", "1");
    res.set_content(json{{"error", "no_owner"}}.dump(), "application/json");
    return;
  }
  Record r;
  r.key = key;
  r.from = body.value("from", std::int64_t{0});
  r.to = body.value("to", std::int64_t{0});
  r.amount = body.value("amount_minor", std::int64_t{0});
  r.currency = body.value("currency", "");
  const bool known = records_.count(key) > 0;
  if (!known) ++new_payments_;
  if (known) {
    r = records_[key];
    res.set_header("Idempotent-Replay", "true");
  } else if (breakage_.lose_every && new_payments_ % breakage_.lose_every == 0) {
    r.revision = revision_;  // acknowledged, never recorded: lost
  } else {
    commit(r, breakage_.duplicate_first && new_payments_ == 1 ? 2 : 1);
    if (breakage_.phantom && new_payments_ == 1) add_phantom(key);
    r = records_[key];
    // Told declined, applied in the ledger: what no_failed_applied is for.
    if (breakage_.decline_every && new_payments_ % breakage_.decline_every == 0) r.status = "declined";
  }
  res.status = 201;
  res.set_content(json{{"key", r.key},
                       {"status", r.status},
                       {"from", r.from},
                       {"to", r.to},
                       {"amount_minor", r.amount},
                       {"currency", r.currency},
                       {"revision", r.revision},
                       {"served_by", "hz"}}
                      .dump(),
                  "application/json");
}

void StandInApi::snapshot(httplib::Response& res) {
  if (breakage_.snapshot_status != 200) {
    res.status = breakage_.snapshot_status;
    res.set_content(json{{"error", "unknown"}}.dump(), "application/json");
    return;
  }
  std::lock_guard lock(mu_);
  json accounts = json::array(), payments = json::array();
  for (const auto& [id, balance] : balances_) accounts.push_back({{"id", id}, {"balance_minor", balance}});
  for (const auto& [key, r] : records_) {
    payments.push_back({{"key", key}, {"status", r.status}, {"from", r.from}, {"to", r.to},
                        {"amount_minor", r.amount}, {"currency", r.currency}, {"revision", r.revision},
                        {"served_by", "hz"}});
  }
  const std::int64_t total = kAccounts * breakage_.balance;
  res.set_content(json{{"revision", revision_},
                       {"config", {{"total_minor", total}, {"balance_minor", breakage_.balance}}},
                       {"total_minor", total},
                       {"accounts", accounts},
                       {"payments", payments}}
                      .dump(),
                  "application/json");
}

}  // namespace injector::testing
