#include "injector/drill/traffic.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/loopback_http.h"

namespace {

using injector::drill::classify;
using injector::drill::observe;
using injector::drill::Observed;
using injector::drill::Outcome;
using injector::drill::PaymentAnswer;
using injector::drill::plan_payments;
using injector::drill::run_traffic;
using injector::drill::TrafficPlan;

PaymentAnswer answer(int status, const char* body_status = nullptr) {
  PaymentAnswer a;
  a.status = status;
  if (body_status) a.body = {{"status", body_status}};
  if (body_status) a.raw_body = a.body.dump();
  return a;
}

TEST(Classify, FinalAnswersAndTheOnesWorthAnotherTry) {
  EXPECT_EQ(classify(answer(201, "applied")), Outcome::kApplied);
  EXPECT_EQ(classify(answer(200, "applied")), Outcome::kApplied);  // a replay
  EXPECT_EQ(classify(answer(201, "declined")), Outcome::kDeclined);
  EXPECT_EQ(classify(answer(402, "declined")), Outcome::kDeclined);
  for (int s : {400, 404, 422}) EXPECT_EQ(classify(answer(s)), Outcome::kRefused) << s;
  for (int s : {0, 409, 421, 429, 500, 503, 504}) EXPECT_EQ(classify(answer(s)), Outcome::kUnknown) << s;
}

TEST(PlanPayments, SameSeedSamePaymentsAtTheRateAsked) {
  TrafficPlan plan;
  plan.api_url = "http://127.0.0.1:1";
  plan.rate_per_s = 200;
  plan.duration = std::chrono::milliseconds(1500);
  plan.accounts = 10;
  plan.key_prefix = "run1-";
  const auto a = plan_payments(plan, 1'000'000);
  const auto b = plan_payments(plan, 1'000'000);
  ASSERT_EQ(a.size(), 300u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, "run1-" + std::to_string(i));
    EXPECT_EQ(a[i].request.from, b[i].request.from);
    EXPECT_NE(a[i].request.from, a[i].request.to);
    EXPECT_GE(a[i].request.amount_minor, 1);
    EXPECT_EQ(a[i].due_us, 1'000'000 + static_cast<std::int64_t>(i) * 5000);
  }
  plan.seed = 2;
  const auto c = plan_payments(plan, 1'000'000);
  int same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i].request.from == c[i].request.from;
  EXPECT_LT(same, 100);  // 30 expected by chance at 1 in 10
}

TEST(PlanPayments, ABadPlanIsRefusedNamingTheField) {
  TrafficPlan plan;
  plan.api_url = "http://127.0.0.1:1";
  plan.key_prefix = "k";
  plan.rate_per_s = 0;
  EXPECT_THROW(plan_payments(plan, 0), std::invalid_argument);
  plan.rate_per_s = 10;
  plan.api_url = "ftp://x:1";
  EXPECT_THROW(plan_payments(plan, 0), std::invalid_argument);
}

// A payment API on loopback that answers "no owner" (503) to the first two
// attempts of every third key, refuses account 0 as payer (422), and records
// every request it sees.
class FlakyApi {
 public:
  FlakyApi() {
    http_.server().Post("/v1/payments", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string key = req.get_header_value("Idempotency-Key");
      const auto body = nlohmann::json::parse(req.body);
      std::lock_guard lock(mu_);
      const int n = ++attempts_[key];
      res.set_header("X-Served-By", "sh");
      if (body["from"] == 0) {
        res.status = 422;
      } else if (std::stoi(key.substr(key.find('-') + 1)) % 3 == 0 && n <= 2) {
        res.status = 503;
        res.set_header("Retry-After", "1");
      } else {
        res.status = 201;
        res.set_content(nlohmann::json{{"status", "applied"}}.dump(), "application/json");
      }
    });
    http_.start();
  }
  std::string url() const { return http_.url(); }
  std::map<std::string, int> attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> attempts_;
  injector::testing::LoopbackHttp http_;  // last: stops serving before the map goes
};

TEST(RunTraffic, RetriesWithTheSameKeyUntilAFinalAnswerAndNeverAfterIt) {
  FlakyApi api;
  TrafficPlan plan;
  plan.api_url = api.url();
  plan.rate_per_s = 300;
  plan.duration = std::chrono::milliseconds(500);
  plan.accounts = 20;
  plan.workers = 8;
  plan.key_prefix = "t-";
  plan.retry_backoff = std::chrono::milliseconds(5);
  std::atomic<bool> stop{false};
  const auto sent = run_traffic(plan, stop);
  ASSERT_EQ(sent.size(), 150u);
  const auto seen = api.attempts();
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto& p = sent[i];
    ASSERT_EQ(seen.at(p.key), static_cast<int>(p.attempts.size())) << p.key;
    if (p.request.from == 0) {
      EXPECT_EQ(p.outcome, Outcome::kRefused) << p.key;
      EXPECT_EQ(p.attempts.size(), 1u) << p.key;
    } else {
      EXPECT_EQ(p.outcome, Outcome::kApplied) << p.key;
      EXPECT_EQ(p.attempts.size(), i % 3 == 0 ? 3u : 1u) << p.key;
      EXPECT_EQ(p.final_attempt()->served_by, "sh");
    }
    for (const auto& a : p.attempts) EXPECT_LE(a.start_us, a.end_us);
    EXPECT_GE(p.attempts.front().start_us, p.due_us) << "sent before it was due";
  }
}

TEST(RunTraffic, GivesUpAndLeavesUnknownWhenNoAnswerComes) {
  TrafficPlan plan;
  plan.api_url = "http://127.0.0.1:9";  // discard: nothing listens, every connect is refused
  plan.rate_per_s = 50;
  plan.duration = std::chrono::milliseconds(100);
  plan.key_prefix = "g-";
  plan.retry_backoff = std::chrono::milliseconds(20);
  plan.give_up_after = std::chrono::milliseconds(200);
  std::atomic<bool> stop{false};
  const auto sent = run_traffic(plan, stop);
  ASSERT_EQ(sent.size(), 5u);
  for (const auto& p : sent) {
    EXPECT_EQ(p.outcome, Outcome::kUnknown);
    EXPECT_GE(p.attempts.size(), 2u);
    EXPECT_EQ(p.attempts.back().status, 0);
    for (const auto& a : p.attempts) {
      EXPECT_EQ(a.observed, Observed::kFail) << "a refused connection is an answer: not an acknowledgement";
      EXPECT_TRUE(a.worker >= 0 && a.worker < plan.workers) << a.worker;
    }
  }
}

// A drill plans every payment of its longest run up front (max_duration at
// the rate: here 5 h at 20/s, 360,000 payments). The schedule must start
// when sending can, not when planning began: else the first payments are
// already late by the planning time, and the tool reports its own start-up
// as the system's latency. The bound is half the planning time measured
// here on the same plan (about 0.1-0.5 s; the workers start in ~1 ms).
TEST(RunTraffic, ALongPlanDoesNotMakeTheFirstPaymentsLate) {
  FlakyApi api;
  TrafficPlan plan;
  plan.api_url = api.url();
  plan.rate_per_s = 20;
  plan.duration = std::chrono::hours(5);
  plan.accounts = 20;
  plan.workers = 4;
  plan.key_prefix = "long-";
  const auto t0 = std::chrono::steady_clock::now();
  (void)plan_payments(plan, 0);
  const auto planning_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  std::atomic<bool> stop{false}, no_new{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200) + std::chrono::microseconds(planning_us));
    no_new = true;
  });
  const auto sent = run_traffic(plan, stop, no_new);
  stopper.join();
  ASSERT_EQ(sent.size(), 360'000u);
  ASSERT_FALSE(sent[0].attempts.empty()) << "the first payment was never sent";
  const auto late_us = sent[0].attempts.front().start_us - sent[0].due_us;
  EXPECT_GE(late_us, 0);
  EXPECT_LT(late_us, planning_us / 2) << "planning took " << planning_us << " us";
}

PaymentAnswer transport_error(const char* error) {
  PaymentAnswer a;
  a.transport_error = error;
  return a;
}

TEST(Observe, AnswersAreOkOrFail) {
  const auto t = std::chrono::milliseconds(1000);
  EXPECT_EQ(observe(answer(201, "applied"), 3000, t), Observed::kOk);
  EXPECT_EQ(observe(answer(402, "declined"), 3000, t), Observed::kOk);  // declined is acknowledged
  for (int s : {400, 409, 421, 422, 429, 500, 503}) EXPECT_EQ(observe(answer(s), 3000, t), Observed::kFail) << s;
  // A slow answer is still an answer.
  EXPECT_EQ(observe(answer(503), 1'500'000, t), Observed::kFail);
}

TEST(Observe, NoAnswerIsUnknownWhenItTimedOutAndFailWhenTheConnectionFailedSooner) {
  const auto t = std::chrono::milliseconds(1000);
  EXPECT_EQ(observe(transport_error("Connection"), 200, t), Observed::kFail);  // refused
  EXPECT_EQ(observe(transport_error("Read"), 5000, t), Observed::kFail);       // reset or closed
  EXPECT_EQ(observe(transport_error("Write"), 5000, t), Observed::kFail);
  // httplib says Read for a read timeout too: the duration tells them apart.
  EXPECT_EQ(observe(transport_error("Read"), 1'000'000, t), Observed::kUnknown);
  EXPECT_EQ(observe(transport_error("Read"), 999'500, t), Observed::kUnknown);  // within the slack
  EXPECT_EQ(observe(transport_error("Write"), 1'200'000, t), Observed::kUnknown);
  EXPECT_EQ(observe(transport_error("ConnectionTimeout"), 1'000'000, t), Observed::kUnknown);
  EXPECT_EQ(observe(transport_error("Canceled"), 10, t), Observed::kUnknown);  // unplaceable: claim nothing
}

TEST(Observe, TheTransportErrorNamesAreHttplibsOwn) {
  // Against real sockets, so a renamed error in a newer httplib shows here.
  injector::drill::PaymentsApi refused("http://127.0.0.1:9", std::chrono::milliseconds(300));
  const auto r = refused.pay("k", {1, 2, 3, "CNY"});
  EXPECT_EQ(r.transport_error, "Connection");
  httplib::Server slow;
  slow.Post("/v1/payments", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    res.status = 201;
  });
  const int port = slow.bind_to_any_port("127.0.0.1");
  std::thread t([&] { slow.listen_after_bind(); });
  while (!slow.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  injector::drill::PaymentsApi api("http://127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(100));
  const auto start = injector::drill::unix_now_us();
  const auto timed_out = api.pay("k", {1, 2, 3, "CNY"});
  const auto elapsed = injector::drill::unix_now_us() - start;
  slow.stop();
  t.join();
  EXPECT_EQ(timed_out.status, 0);
  EXPECT_EQ(timed_out.transport_error, "Read");
  EXPECT_EQ(observe(timed_out, elapsed, std::chrono::milliseconds(100)), Observed::kUnknown);
}

}  // namespace
