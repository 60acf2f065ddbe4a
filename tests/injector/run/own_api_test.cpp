// `injector run --no-faults` against a payment API that is not the sample
// system's: a loopback stand-in with its own path, idempotency header, body
// fields and "ACK"/"NACK" answers, and a ledger snapshot in the sample's
// format at a path of its own. Spoken to in its dialect the drill passes;
// the same stand-in with the default dialect does not (the control).
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "injector/cli.h"
#include "injector/run/invariants.h"
#include "tests/support/loopback_http.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;

// Amounts are 1-500: a seed this low makes declines (NACK) certain in a run.
constexpr std::int64_t kAccounts = 20, kSeed = 300;

// An honest ledger: idempotent by X-Request-Id, declines what a payer cannot afford.
class OwnLedger {
 public:
  OwnLedger() {
    for (std::int64_t a = 0; a < kAccounts; ++a) balance_[a] = kSeed;
  }
  void serve(httplib::Server& s) {
    s.Post("/api/transfer", [this](const httplib::Request& req, httplib::Response& res) { transfer(req, res); });
    s.Get("/api/books", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(snapshot().dump(), "application/json");
    });
  }
  int acks() const { return acks_; }
  int nacks() const { return nacks_; }

 private:
  void transfer(const httplib::Request& req, httplib::Response& res) {
    const std::string key = req.get_header_value("X-Request-Id");
    const json b = json::parse(req.body, nullptr, false);
    if (key.empty() || !b.is_object() || !b.contains("payer") || !b.contains("payee") || !b.contains("cents") ||
        !b.contains("ccy")) {
      res.status = 400;
      res.set_content("malformed", "text/plain");
      return;
    }
    std::lock_guard lock(mu_);
    auto it = records_.find(key);
    if (it == records_.end()) {
      const std::int64_t from = b["payer"], to = b["payee"], cents = b["cents"];
      const bool ok = balance_[from] >= cents;
      if (ok) {
        balance_[from] -= cents;
        balance_[to] += cents;
      }
      ++(ok ? acks_ : nacks_);
      json rec = {{"key", key},  {"status", ok ? "applied" : "declined"}, {"from", from}, {"to", to},
                  {"amount_minor", cents}, {"currency", b["ccy"]}, {"revision", ++revision_}};
      it = records_.emplace(key, rec).first;
    }
    res.set_content(it->second["status"] == "applied" ? "ACK" : "NACK", "text/plain");
  }

  json snapshot() {
    std::lock_guard lock(mu_);
    json accounts = json::array(), payments = json::array();
    for (const auto& [id, bal] : balance_) accounts.push_back({{"id", id}, {"balance_minor", bal}});
    for (const auto& [key, rec] : records_) payments.push_back(rec);
    return {{"revision", revision_},
            {"config", {{"total_minor", kAccounts * kSeed}, {"balance_minor", kSeed}}},
            {"accounts", accounts},
            {"payments", payments}};
  }

  std::mutex mu_;
  std::map<std::int64_t, std::int64_t> balance_;
  std::map<std::string, json> records_;
  std::int64_t revision_ = 0;
  int acks_ = 0, nacks_ = 0;
};

constexpr const char* kDialect = R"(    request:
      path: /transfer
      body: '{"payer": {{from}}, "payee": {{to}}, "cents": {{amount_minor}}, "ccy": "{{currency}}"}'
    idempotency_header: X-Request-Id
    classify:
      ok_status: "200"
      declined: {body_match: "^NACK$"}
      retry_status: ["503"]
    snapshot: /books
    units: ""
)";

std::string playbook(const std::string& api, bool own_dialect) {
  return std::string(R"(version: 1
name: own-api
workload:
  payments:
    api: )") + api + R"(/api
    rate: 50
    accounts: 20
    currency: EUR
)" + (own_dialect ? kDialect : "") + R"(steps:
  - id: flow
    wait: 3s
  - during: flow
    expect:
      - {metric: success_rate, op: ">=", value: 0.5}
)";
}

struct Ran {
  int rc;
  json report;
  std::string err;
};

Ran run_against(const std::string& api, bool own_dialect) {
  injector::testing::TempDir dir("ownapi");
  std::ofstream(dir.file("pb.yaml")) << playbook(api, own_dialect);
  std::ostringstream out, err;
  const int rc = injector::cli::run({"run", dir.file("pb.yaml"), "--no-faults", "--report", dir.file("report"),
                                     "--output", "json"},
                                    out, err);
  return {rc, json::parse(out.str(), nullptr, false), err.str()};
}

TEST(OwnApiRun, ADrillSpeaksTheUsersDialectAndReadsTheirLedger) {
  injector::testing::LoopbackHttp server;
  OwnLedger ledger;
  ledger.serve(server.server());
  server.start();
  const Ran r = run_against(server.url(), true);
  EXPECT_EQ(r.rc, 0) << r.err << r.report.dump(2).substr(0, 4000);
  // 3 s at 50/s: every payment reached the ledger, each one answered ACK or NACK;
  // the NACKs' records say declined, so reading one as applied would fail an invariant.
  EXPECT_GE(ledger.acks() + ledger.nacks(), 120);
  EXPECT_GE(ledger.acks(), 1);
  EXPECT_GE(ledger.nacks(), 1);
  ASSERT_TRUE(r.report.contains("invariants")) << r.err;
  EXPECT_EQ(r.report["invariants"].size(), 6u);
  for (const auto& i : r.report["invariants"]) EXPECT_EQ(i["result"], "pass") << i.dump();
}

TEST(OwnApiRun, TheDefaultDialectAgainstTheSameStandInFails) {
  injector::testing::LoopbackHttp server;
  OwnLedger ledger;
  ledger.serve(server.server());
  server.start();
  const Ran r = run_against(server.url(), false);
  EXPECT_EQ(r.rc, 20) << r.err << r.report.dump(2).substr(0, 4000);  // the expectation failed
  EXPECT_EQ(ledger.acks() + ledger.nacks(), 0);  // nothing it sent was a payment to this API
  ASSERT_TRUE(r.report.contains("invariants")) << r.err;
  for (const auto& i : r.report["invariants"]) EXPECT_EQ(i["result"], "unknown") << i.dump();  // no ledger there
}

TEST(OwnApiRun, WithoutASnapshotTheInvariantsAreUnknownNotPassed) {
  injector::testing::LoopbackHttp server;
  OwnLedger ledger;  // a ledger is there, but the playbook says there is none to read
  ledger.serve(server.server());
  server.start();
  injector::drill::PaymentsDialect dialect;
  dialect.snapshot = "";
  const auto reading = injector::run::read_ledger(server.url() + "/api", dialect, {}, "k-");
  EXPECT_FALSE(reading.verdict);
  EXPECT_NE(reading.error.find("snapshot is empty"), std::string::npos) << reading.error;
  const auto judged = injector::run::judge_invariants({injector::playbook::Invariant::conserved}, reading);
  ASSERT_EQ(judged.size(), 1u);
  EXPECT_EQ(judged[0].result, injector::run::Judged::unknown);
  dialect.snapshot = "/books";  // the control: the same ledger, read
  EXPECT_TRUE(injector::run::read_ledger(server.url() + "/api", dialect, {}, "k-").verdict);
}

}  // namespace
