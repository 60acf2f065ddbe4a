// payrouter on a real etcd: it forwards each payment once to the owner of the
// payer's unit (a real sh service, and a fake hz that counts what it gets),
// passes X-Served-By through, never retries, and follows ownership changes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "config.h"
#include "etcd_client.h"
#include "payments/pay_fixture.h"

namespace payments::testing {
namespace {

using nlohmann::json;

// A stand-in for hz's service: counts payments and answers as told.
class FakeService {
 public:
  FakeService() : port_(free_port()) {
    server_.Post("/v1/payments", [this](const httplib::Request&, httplib::Response& res) {
      ++count;
      if (slow) std::this_thread::sleep_for(std::chrono::seconds(3));
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_header("X-Served-By", "hz");
      res.set_content(R"({"error":"unknown"})", "application/json");
    });
    // Its reads are down: the router's GETs must find the live service.
    server_.Get(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    if (!server_.bind_to_port("127.0.0.1", port_)) throw std::runtime_error("fake hz: bind");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeService() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::atomic<int> count{0};
  std::atomic<bool> slow{false};

 private:
  int port_;
  httplib::Server server_;
  std::thread thread_;
};

TEST(PaymentsRouter, ForwardsOnceToTheOwnerAndNeverRetries) {
  EtcdCluster etcd;
  TempDir logs;
  // sz's units have no takeover and no service: they stay without an owner.
  ASSERT_EQ(run({PAYSVC_BIN, "seed", "--etcd", etcd.endpoints(), "--accounts", "60", "--balance-minor", "1000",
                 "--takeover", "hz=sh,sh=sz"},
                logs.path() + "/seed.log"),
            0);
  // hz's units are owned under a lease this test holds; the fake answers for hz.
  EtcdClient ec(parse_endpoints(etcd.endpoints()), std::chrono::seconds(5));
  int64_t lease = ec.lease_grant(60).first;
  for (int u = 0; u < 12; u += 3) {
    Txn t;
    t.success.push_back(put_op(unit_owner_key(u), R"({"dc":"hz"})", lease));
    ASSERT_TRUE(ec.txn(t).succeeded);
  }
  FakeService hz;
  std::string sh_listen = "127.0.0.1:" + std::to_string(free_port());
  auto sh = start_and_wait({PAYSVC_BIN, "serve", "--dc", "sh", "--listen", sh_listen, "--etcd", etcd.endpoints()},
                           logs.path() + "/sh.log", "paysvc: serving dc=sh");
  std::string r_listen = "127.0.0.1:" + std::to_string(free_port());
  auto router = start_and_wait({PAYROUTER_BIN, "--listen", r_listen, "--etcd", etcd.endpoints(), "--service",
                                "hz=" + hz.url(), "--service", "sh=http://" + sh_listen},
                               logs.path() + "/router.log", "payrouter: serving on");
  const std::string api = "http://" + r_listen;
  ASSERT_TRUE(wait_until([&] {
    json o = http_get(api, "/v1/health").body["owners"];
    return o.is_array() && o.size() == 12 && o[0] == "hz" && o[1] == "sh";
  }, std::chrono::seconds(10)));

  // A unit of sh: forwarded to the real service, which applies it.
  Reply ok = pay(api, "r-1", 1, 2, 100);
  ASSERT_EQ(ok.status, 201) << ok.body.dump();
  EXPECT_EQ(ok.header("X-Served-By"), "sh");
  EXPECT_EQ(ok.body["served_by"], "sh");

  // A unit of hz: forwarded once; the 503 comes back as is and is not retried.
  Reply busy = pay(api, "r-2", 0, 2, 100);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.header("X-Served-By"), "hz");
  EXPECT_EQ(busy.header("Retry-After"), "1");
  EXPECT_EQ(hz.count.load(), 1);
  // No answer within the forward timeout: 504 "unknown", still one request.
  hz.slow = true;
  Reply lost = pay(api, "r-3", 3, 2, 100);
  EXPECT_EQ(lost.status, 504) << lost.body.dump();
  EXPECT_EQ(lost.body["error"], "unknown");
  EXPECT_EQ(hz.count.load(), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(hz.count.load(), 2) << "the router retried on its own";

  // A unit with no owner: 503 with Retry-After from the router itself.
  Reply none = pay(api, "r-4", 2, 1, 100);
  EXPECT_EQ(none.status, 503);
  EXPECT_EQ(none.header("X-Served-By"), "router");
  EXPECT_EQ(none.header("Retry-After"), "1");

  // hz's lease lapses: sh takes its units over and the router follows.
  ec.lease_revoke(lease);
  ASSERT_TRUE(wait_until([&] { return http_get(api, "/v1/health").body["owners"][0] == "sh"; },
                         std::chrono::seconds(10)));
  Reply moved = pay(api, "r-5", 0, 2, 100);
  EXPECT_EQ(moved.status, 201) << moved.body.dump();
  EXPECT_EQ(moved.header("X-Served-By"), "sh");
  EXPECT_EQ(hz.count.load(), 2);

  // GETs go to a live service.
  Reply units = http_get(api, "/v1/units");
  ASSERT_EQ(units.status, 200);
  EXPECT_EQ(units.body["units"][0]["owner"], "sh");
  EXPECT_EQ(http_get(api, "/v1/payments/r-5").body["served_by"], "sh");
  Reply snap = http_get(api, "/v1/ledger/snapshot");
  ASSERT_EQ(snap.status, 200);
  expect_ledger_consistent(snap.body, 60, 1000);
  EXPECT_EQ(snap.body["payments"].size(), 2u);
}

}  // namespace
}  // namespace payments::testing
