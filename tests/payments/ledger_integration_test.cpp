// The ledger on a real etcd with three real services: conservation under
// concurrent payments (declines included), replay of the records, idempotency.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "etcd_client.h"
#include "payment.h"
#include "payments/pay_fixture.h"

namespace payments::testing {
namespace {

using nlohmann::json;

// Sends one payment until it has a final answer (201 or 422), retrying the
// same key on 503 (unknown outcome, contention, no owner) and 409, as a client must.
Reply pay_until_final(const std::string& base, const std::string& key, int64_t from, int64_t to, int64_t amount) {
  Reply r;
  for (int i = 0; i < 200; ++i) {
    r = pay(base, key, from, to, amount);
    if (r.status != 503 && r.status != 409 && r.status != 0) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return r;
}

TEST(PaymentsLedger, ConcurrentPaymentsFromThreeServicesConserveMoney) {
  // 60 hot accounts with 1000 each and amounts up to 700: contention, retries and declines.
  PaymentsLab lab(60, 1000);
  struct Sent {
    std::string status;
    std::string served_by;
  };
  std::mutex mu;
  std::map<std::string, Sent> acked;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (size_t d = 0; d < 3; ++d)
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, d, t] {
        std::mt19937_64 rng(d * 100 + t);
        for (int i = 0; i < 60; ++i) {
          int64_t from = static_cast<int64_t>(d) + 3 * static_cast<int64_t>(rng() % 20);  // homed at dcs[d]
          int64_t to = (from + 1 + static_cast<int64_t>(rng() % 59)) % 60;
          // Every tenth asks for more money than any account can hold here: always declined.
          int64_t amount = i % 10 == 9 ? 60000 : 1 + static_cast<int64_t>(rng() % 700);
          std::string key = "c" + std::to_string(d) + "-" + std::to_string(t) + "-" + std::to_string(i);
          Reply r = pay_until_final(lab.url(lab.dcs[d]), key, from, to, amount);
          if (r.status != 201) {
            ++bad;
            continue;
          }
          std::lock_guard lock(mu);
          acked[key] = {r.body["status"], r.body["served_by"]};
        }
      });
  // Snapshots taken during the load: balances and records at one revision,
  // so each one is conserved and replays exactly.
  std::atomic<bool> done{false};
  int snapshots = 0;
  std::thread snapper([&] {
    while (!done) {
      json snap = lab.snapshot();
      expect_ledger_consistent(snap, lab.accounts, lab.balance_minor);
      ++snapshots;
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  snapper.join();
  EXPECT_GE(snapshots, 1);
  EXPECT_EQ(bad.load(), 0) << "payments without a final 201";
  json snap = lab.snapshot();
  expect_ledger_consistent(snap, lab.accounts, lab.balance_minor);
  ASSERT_EQ(snap["payments"].size(), acked.size()) << "records that no client was acknowledged for, or lost ones";
  int applied = 0, declined = 0;
  for (const auto& p : snap["payments"]) {
    auto it = acked.find(p["key"]);
    ASSERT_NE(it, acked.end()) << p.dump();
    EXPECT_EQ(p["status"], it->second.status) << p.dump();
    EXPECT_EQ(p["served_by"], lab.dcs[p["from"].get<size_t>() % 3]) << "served by a DC not owning the payer's unit";
    (p["status"] == "applied" ? applied : declined)++;
  }
  EXPECT_GE(declined, 72);  // at least the 72 impossible ones
  EXPECT_GE(applied, 100);  // and money really moved
  // Four payers per service at once: the committer's rounds carried several
  // payments each (nested txns), and each written payment was counted.
  uint64_t writes = 0, written = 0;
  for (const auto& dc : lab.dcs) {
    Reply h = http_get(lab.url(dc), "/v1/health");
    ASSERT_EQ(h.status, 200) << dc;
    writes += h.body.at("writes").get<uint64_t>();
    written += h.body.at("payments_written").get<uint64_t>();
  }
  EXPECT_GE(written, acked.size()) << "a payment acknowledged without a write";
  EXPECT_GT(written, writes) << "no write carried more than one payment";
}

TEST(PaymentsLedger, SameKeyAppliesOnceWithTheSameAnswer) {
  PaymentsLab lab(30, 1000);
  const std::string hz = lab.url("hz");
  Reply first = pay(hz, "idem-1", 3, 4, 250);
  ASSERT_EQ(first.status, 201) << first.body.dump();
  EXPECT_EQ(first.header("Idempotent-Replay"), "");
  EXPECT_EQ(first.header("X-Served-By"), "hz");
  Reply again = pay(hz, "idem-1", 3, 4, 250);
  ASSERT_EQ(again.status, 201);
  EXPECT_EQ(again.header("Idempotent-Replay"), "true");
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(http_get(hz, "/v1/accounts/3").body["balance_minor"], 750);
  EXPECT_EQ(http_get(hz, "/v1/accounts/4").body["balance_minor"], 1250);

  Reply other = pay(hz, "idem-1", 3, 4, 251);
  EXPECT_EQ(other.status, 422) << other.body.dump();
  EXPECT_EQ(other.body["error"], "key_reused");
  EXPECT_EQ(http_get(hz, "/v1/accounts/3").body["balance_minor"], 750);

  // A decline is stored and replayed too.
  Reply no = pay(hz, "idem-2", 3, 4, 751);
  ASSERT_EQ(no.status, 201);
  EXPECT_EQ(no.body["status"], "declined");
  Reply no_again = pay(hz, "idem-2", 3, 4, 751);
  EXPECT_EQ(no_again.header("Idempotent-Replay"), "true");
  EXPECT_EQ(no_again.body, no.body);
  EXPECT_EQ(http_get(hz, "/v1/payments/idem-2").body["status"], "declined");
  EXPECT_EQ(http_get(hz, "/v1/payments/never").status, 404);

  Reply nokey = http_post(hz, "/v1/payments", R"({"from":3,"to":4,"amount_minor":1,"currency":"CNY"})");
  EXPECT_EQ(nokey.status, 400);
  expect_ledger_consistent(lab.snapshot(), lab.accounts, lab.balance_minor);
}

TEST(PaymentsLedger, ConcurrentSameKeyAppliesOnce) {
  PaymentsLab lab(30, 1000);
  const std::string hz = lab.url("hz");
  for (int round = 0; round < 5; ++round) {
    const std::string key = "race-" + std::to_string(round);
    std::atomic<int> go{0};
    std::vector<Reply> replies(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < replies.size(); ++i)
      threads.emplace_back([&, i] {
        while (go.load() == 0) {
        }
        replies[i] = pay(hz, key, 6, 7, 10);
      });
    go = 1;
    for (auto& t : threads) t.join();
    int originals = 0;
    for (const auto& r : replies) {
      if (r.status == 201 && r.header("Idempotent-Replay").empty()) ++originals;
      else EXPECT_TRUE(r.status == 409 || (r.status == 201 && r.header("Idempotent-Replay") == "true"))
          << r.status << " " << r.body.dump();
    }
    EXPECT_EQ(originals, 1) << "round " << round;
  }
  // Five payments of 10, each applied once.
  EXPECT_EQ(http_get(hz, "/v1/accounts/6").body["balance_minor"], 950);
  EXPECT_EQ(http_get(hz, "/v1/accounts/7").body["balance_minor"], 1050);
  expect_ledger_consistent(lab.snapshot(), lab.accounts, lab.balance_minor);
}

TEST(PaymentsLedger, SeedRefusesASeededLedgerAndBadFlags) {
  EtcdCluster etcd;
  TempDir logs;
  EXPECT_EQ(run({PAYSVC_BIN, "seed", "--etcd", etcd.endpoints(), "--accounts", "300"}, logs.path() + "/1"), 0);
  EXPECT_EQ(run({PAYSVC_BIN, "seed", "--etcd", etcd.endpoints(), "--accounts", "300"}, logs.path() + "/2"), 1);
  EXPECT_EQ(run({PAYSVC_BIN, "seed", "--etcd", etcd.endpoints(), "--accounts", "x"}, logs.path() + "/3"), 2);
  EXPECT_EQ(run({PAYSVC_BIN, "serve", "--dc", "hz", "--listen", "nope", "--etcd", etcd.endpoints()},
                logs.path() + "/4"), 2);
  // 300 accounts in 3 batches of at most 128, all present, with the config.
  EtcdClient ec(parse_endpoints(etcd.endpoints()), std::chrono::seconds(5));
  RangeResult accts = ec.range_prefix(kAccountPrefix);
  ASSERT_EQ(accts.kvs.size(), 300u);
  EXPECT_EQ(account_balance(accts.kvs.back().value), 100000);
  EXPECT_EQ(account_from_key(accts.kvs.back().key), 299);
  EXPECT_EQ(config_from_json(json::parse(ec.range(kConfigKey).kvs.at(0).value)).total_minor, 30000000);
}

TEST(PaymentsLedger, PagedRangeReadsOneRevision) {
  EtcdCluster etcd;
  EtcdClient ec(parse_endpoints(etcd.endpoints()), std::chrono::seconds(5));
  Txn t;
  for (int i = 0; i < 50; ++i) t.success.push_back(put_op("/t/" + std::to_string(100 + i), "old"));
  const int64_t rev = ec.txn(t).revision;
  for (auto& op : t.success) op.value = "new";
  t.success.push_back(put_op("/t/999", "new"));  // a key that did not exist at rev
  ASSERT_GT(ec.txn(t).revision, rev);
  RangeResult then = ec.range_prefix("/t/", rev, std::chrono::milliseconds(0), 7);  // 8 pages
  ASSERT_EQ(then.kvs.size(), 50u);
  EXPECT_EQ(then.revision, rev);
  for (const auto& kv : then.kvs) EXPECT_EQ(kv.value, "old") << kv.key;
  RangeResult now = ec.range_prefix("/t/", 0, std::chrono::milliseconds(0), 7);
  ASSERT_EQ(now.kvs.size(), 51u);  // the positive control: the same reads see the new state
  for (const auto& kv : now.kvs) EXPECT_EQ(kv.value, "new") << kv.key;
}

TEST(PaymentsLedger, SigtermExitsCleanlyAndFreesTheUnits) {
  EtcdCluster etcd;
  TempDir logs;
  ASSERT_EQ(run({PAYSVC_BIN, "seed", "--etcd", etcd.endpoints(), "--accounts", "30"}, logs.path() + "/seed"), 0);
  std::string listen = "127.0.0.1:" + std::to_string(free_port());
  auto hz = start_and_wait({PAYSVC_BIN, "serve", "--dc", "hz", "--listen", listen, "--etcd", etcd.endpoints()},
                           logs.path() + "/hz", "paysvc: serving dc=hz");
  EtcdClient ec(parse_endpoints(etcd.endpoints()), std::chrono::seconds(5));
  ASSERT_TRUE(wait_until([&] { return ec.range_prefix(kUnitPrefix).kvs.size() == 4; }, std::chrono::seconds(5)));
  hz->signal(SIGTERM);
  EXPECT_EQ(hz->wait_exit(std::chrono::seconds(5)), 0) << hz->log();
  // The lease was revoked on the way out: hz's units are free at once, not after the TTL.
  EXPECT_EQ(ec.range_prefix(kUnitPrefix).kvs.size(), 0u);
  std::string r_listen = "127.0.0.1:" + std::to_string(free_port());
  auto router = start_and_wait({PAYROUTER_BIN, "--listen", r_listen, "--etcd", etcd.endpoints(), "--service",
                                "hz=http://" + listen},
                               logs.path() + "/router", "payrouter: serving on");
  router->signal(SIGTERM);
  EXPECT_EQ(router->wait_exit(std::chrono::seconds(5)), 0) << router->log();
  EXPECT_EQ(run({PAYROUTER_BIN, "--listen", r_listen, "--etcd", etcd.endpoints(), "--service", "hz"},
                logs.path() + "/bad"), 2);
}

}  // namespace
}  // namespace payments::testing
