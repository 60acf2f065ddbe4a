// Short deadlines on a 3-member etcd: with the quorum gone (two members
// stopped), a payment is answered "unknown" within the deadline instead of
// stalling; after the quorum is back, the client's retry with the same key
// applies it exactly once.
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "payments/pay_fixture.h"

namespace payments::testing {
namespace {

using Clock = std::chrono::steady_clock;

TEST(PaymentsDeadline, NoQuorumAnswersUnknownWithinTheDeadline) {
  PaymentsLab lab(30, 1000, 3);
  ASSERT_EQ(pay(lab.url("hz"), "d-0", 0, 1, 10).status, 201);  // the path works
  lab.etcd.signal(1, SIGSTOP);
  lab.etcd.signal(2, SIGSTOP);
  ASSERT_TRUE(wait_until([&] { return lab.etcd.stopped(1) && lab.etcd.stopped(2); }, std::chrono::seconds(5)));
  auto t0 = Clock::now();
  Reply r = pay(lab.url("hz"), "d-1", 3, 1, 10);
  auto took = Clock::now() - t0;
  // etcd's own request timeout is seconds; the service's deadline is 300 ms
  // per request. 3 s is ten times that: no false alarm on a loaded machine,
  // and far below a stall.
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(r.status, 503) << r.body.dump();
  EXPECT_EQ(r.body["error"], "unknown");
  EXPECT_EQ(r.header("Retry-After"), "1");
  EXPECT_EQ(http_get(lab.url("hz"), "/v1/health").status, 200);
  lab.etcd.signal(1, SIGCONT);
  lab.etcd.signal(2, SIGCONT);

  // The client retries with the same key, following 421 to the owner.
  std::string dc = "hz";
  Reply done;
  bool ok = wait_until([&] {
    done = pay(lab.url(dc), "d-1", 3, 1, 10);
    if (done.status == 421) dc = done.body["owner"];
    return done.status == 201;
  }, std::chrono::seconds(15));
  ASSERT_TRUE(ok) << done.status << " " << done.body.dump();
  auto snap = lab.snapshot();
  expect_ledger_consistent(snap, lab.accounts, lab.balance_minor);
  EXPECT_EQ(snap["payments"].size(), 2u);
  EXPECT_EQ(http_get(lab.url("sz"), "/v1/accounts/3").body["balance_minor"], 990);
}

}  // namespace
}  // namespace payments::testing
