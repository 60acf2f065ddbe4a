// Ownership on a real etcd with three real services: a lapsed lease (revoked
// through the gateway, standing in for a cut) fences the home service, the
// takeover claims and serves its units, nothing fails back by itself, and an
// explicit failback moves them home under load with every invariant intact.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "config.h"
#include "etcd_client.h"
#include "payment.h"
#include "payments/pay_fixture.h"

namespace payments::testing {
namespace {

using nlohmann::json;

int64_t epoch_of(const PaymentsLab& lab, int unit) {
  return http_get(lab.url("sh"), "/v1/units").body["units"][unit]["epoch"].get<int64_t>();
}

bool owned_by(const PaymentsLab& lab, const std::vector<int>& units, const std::string& dc) {
  auto o = lab.owners();
  for (int u : units)
    if (o.size() != 12 || o[static_cast<size_t>(u)] != dc) return false;
  return true;
}

// A payment txn built the way a service builds it, from a fresh read, at a given epoch.
TxnResult commit_at_epoch(EtcdClient& ec, const std::string& key, int64_t from, int64_t to, int64_t epoch) {
  auto f = ec.range(account_key(from)).kvs.at(0), t = ec.range(account_key(to)).kvs.at(0);
  PaymentRead read{account_balance(f.value), f.mod_revision, account_balance(t.value), t.mod_revision, epoch};
  Record rec = decide(key, PaymentRequest{from, to, 1, "CNY"}, read, "test", 0);
  return ec.txn(payment_txn(rec, read));
}

TEST(PaymentsFailover, LapsedLeaseFencesTheHomeAndTheTakeoverServes) {
  PaymentsLab lab(60, 1000);
  EtcdClient ec(parse_endpoints(lab.etcd.endpoints()), std::chrono::seconds(5));
  ASSERT_EQ(pay(lab.url("hz"), "f-0", 0, 1, 10).status, 201);  // hz serves unit 0 before
  KeyValue owner = ec.range(unit_owner_key(0)).kvs.at(0);
  const int64_t old_epoch = owner.mod_revision;

  ec.lease_revoke(owner.lease);  // what a lapse does: every owner key of hz goes
  Reply refused = pay(lab.url("hz"), "f-1", 3, 1, 10);
  EXPECT_TRUE(refused.status == 421 || refused.status == 503) << refused.status << " " << refused.body.dump();
  // etcd itself refuses a commit at the lost epoch...
  TxnResult stale = commit_at_epoch(ec, "f-stale", 0, 1, old_epoch);
  EXPECT_FALSE(stale.succeeded);

  ASSERT_TRUE(wait_until([&] { return owned_by(lab, {0, 3, 6, 9}, "sh"); }, std::chrono::seconds(5)))
      << "sh did not take over hz's units";
  const int64_t new_epoch = epoch_of(lab, 0);
  EXPECT_GT(new_epoch, old_epoch);
  // ...and accepts the same txn at the owner's epoch (the positive control).
  EXPECT_TRUE(commit_at_epoch(ec, "f-current", 0, 1, new_epoch).succeeded);

  Reply at_sh = pay(lab.url("sh"), "f-2", 0, 1, 10);
  ASSERT_EQ(at_sh.status, 201) << at_sh.body.dump();
  EXPECT_EQ(at_sh.body["served_by"], "sh");
  EXPECT_EQ(at_sh.body["epoch"], new_epoch);
  Reply at_hz = pay(lab.url("hz"), "f-3", 0, 1, 10);
  EXPECT_EQ(at_hz.status, 421);
  EXPECT_EQ(at_hz.body["owner"], "sh");
  // The refused payment, retried with its key at the new owner, applies once.
  EXPECT_EQ(pay(lab.url("sh"), "f-1", 3, 1, 10).status, 201);

  // hz comes back with a new lease but does not take its units back by itself.
  ASSERT_TRUE(wait_until([&] { return http_get(lab.url("hz"), "/v1/health").body["lease"] == true; },
                         std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // past its 3 x TTL hold-off
  EXPECT_TRUE(owned_by(lab, {0, 3, 6, 9}, "sh"));
  EXPECT_TRUE(owned_by(lab, {1, 4, 7, 10}, "sh"));
  EXPECT_TRUE(owned_by(lab, {2, 5, 8, 11}, "sz"));
  json snap = lab.snapshot();
  expect_ledger_consistent(snap, lab.accounts, lab.balance_minor);
  EXPECT_EQ(snap["payments"].size(), 4u);  // f-0, f-current, f-2, f-1 applied; f-3 refused, f-stale never
}

// A client as the checker will be: one payer's payments in sequence, the same
// key until a final answer, following 421 to the owner it names.
struct Client {
  std::vector<std::pair<std::string, int64_t>> acked;  // key, revision, in acknowledgement order
  std::map<std::string, std::string> status;
};

void run_client(const PaymentsLab& lab, int id, std::atomic<bool>& stop, Client& out) {
  std::string dc = "hz";
  for (int i = 0; !stop; ++i) {
    int64_t from = 3 * (id + 4 * (i % 5));  // hz's units
    std::string key = "l" + std::to_string(id) + "-" + std::to_string(i);
    for (int tries = 0; tries < 500; ++tries) {
      Reply r = pay(lab.url(dc), key, from, (from + 1) % 60, 1 + i % 7);
      if (r.status == 201) {
        out.acked.emplace_back(key, r.body["revision"].get<int64_t>());
        out.status[key] = r.body["status"];
        break;
      }
      if (r.status == 421) dc = r.body["owner"];
      else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

TEST(PaymentsFailover, FailbackMovesUnitsHomeUnderLoad) {
  PaymentsLab lab(60, 1000);
  EtcdClient ec(parse_endpoints(lab.etcd.endpoints()), std::chrono::seconds(5));
  std::atomic<bool> stop{false};
  std::vector<Client> clients(4);
  std::vector<std::thread> threads;
  for (int c = 0; c < 4; ++c) threads.emplace_back([&, c] { run_client(lab, c, stop, clients[c]); });

  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ec.lease_revoke(ec.range(unit_owner_key(0)).kvs.at(0).lease);
  bool took_over = wait_until([&] { return owned_by(lab, {0, 3, 6, 9}, "sh"); }, std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const int64_t takeover_epoch = epoch_of(lab, 0);
  Reply fb = http_post(lab.url("hz"), "/v1/units/failback", "{}");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  stop = true;
  for (auto& t : threads) t.join();

  ASSERT_TRUE(took_over);
  ASSERT_EQ(fb.status, 200) << fb.body.dump();
  ASSERT_EQ(fb.body["moved"].size(), 4u) << fb.body.dump();
  for (const auto& m : fb.body["moved"]) EXPECT_EQ(m["from"], "sh");
  EXPECT_TRUE(owned_by(lab, {0, 3, 6, 9}, "hz"));
  EXPECT_GT(epoch_of(lab, 0), takeover_epoch);
  Reply at_sh = pay(lab.url("sh"), "after", 0, 1, 1);
  EXPECT_EQ(at_sh.status, 421);
  EXPECT_EQ(at_sh.body["owner"], "hz");

  json snap = lab.snapshot();
  expect_ledger_consistent(snap, lab.accounts, lab.balance_minor);
  std::map<std::string, json> records;
  for (const auto& p : snap["payments"]) records[p["key"]] = p;
  size_t acked = 0;
  std::map<std::string, int> served;
  for (const auto& c : clients) {
    acked += c.acked.size();
    for (size_t i = 0; i < c.acked.size(); ++i) {
      const auto& [key, rev] = c.acked[i];
      ASSERT_EQ(records.count(key), 1u) << "acknowledged but lost: " << key;
      EXPECT_EQ(records[key]["status"], c.status.at(key));
      EXPECT_EQ(records[key]["revision"], rev);
      if (i > 0) {
        EXPECT_GT(rev, c.acked[i - 1].second) << "a payer's payments committed out of ack order";
      }
      served[records[key]["served_by"]]++;
    }
  }
  EXPECT_EQ(records.size(), acked) << "records no client was acknowledged for";
  // The load really crossed both moves: served by hz before and after, by sh between.
  EXPECT_GT(served["sh"], 0);
  EXPECT_GT(served["hz"], 0);
  bool hz_after = false;
  for (const auto& [key, p] : records) hz_after |= p["served_by"] == "hz" && p["revision"] > takeover_epoch;
  EXPECT_TRUE(hz_after) << "no payment served at home after the failback";
}

}  // namespace
}  // namespace payments::testing
