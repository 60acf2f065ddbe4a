// The live feed end to end: run_traffic against a payment API on loopback
// that answers most payments, refuses some with 503 and lets a few time out,
// with on_attempt feeding a Recorder. The API counts what it did, so a
// misclassified attempt or a hook that misses or doubles one shows.

#include <gtest/gtest.h>

#include <httplib.h>

#include <map>
#include <mutex>
#include <thread>

#include "injector/drill/recorder.h"
#include "tests/support/loopback_http.h"

namespace {

using namespace injector::drill;

// Wide: a request that is answered at once must never look held, even on a
// loaded 2-core machine (the held ones sleep past it by 300 ms).
constexpr auto kTimeout = std::chrono::milliseconds(1500);

// Per datacenter (even payer: hz, odd: sz), how many attempts it answered
// 201, answered 503, or held past the client's timeout. A key ending in 3
// gets a 503 first, one ending in 7 (index % 20) is held first; every
// second attempt of those, and every other key, gets a 201.
class CountingApi {
 public:
  CountingApi() {
    http_.server().new_task_queue = [] { return new httplib::ThreadPool(32); };  // held requests must not starve the rest
    http_.server().Post("/v1/payments",
                        [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); });
    http_.start();
  }
  std::string url() const { return http_.url(); }
  std::map<std::string, int> counts() {
    std::lock_guard lock(mu_);
    return counts_;
  }

 private:
  void answer(const httplib::Request& req, httplib::Response& res) {
    const std::string key = req.get_header_value("Idempotency-Key");
    const int index = std::stoi(key.substr(key.find('-') + 1));
    const std::string dc = nlohmann::json::parse(req.body)["from"].get<int>() % 2 == 0 ? "hz" : "sz";
    std::string what = "201";
    {
      std::lock_guard lock(mu_);
      const bool first = ++attempts_[key] == 1;
      if (first && index % 10 == 3) what = "503";
      if (first && index % 20 == 7) what = "held";
      ++counts_[dc + " " + what];
    }
    if (what == "held") std::this_thread::sleep_for(kTimeout + std::chrono::milliseconds(300));
    res.status = what == "503" ? 503 : 201;
    res.set_content(R"({"status":"applied"})", "application/json");
  }

  std::mutex mu_;
  std::map<std::string, int> attempts_;
  std::map<std::string, int> counts_;
  injector::testing::LoopbackHttp http_;  // last: stops serving before the counts go
};

TEST(RecorderLive, CountsWhatTheServerDidPerDatacenter) {
  CountingApi api;
  const std::int64_t origin = unix_now_us();
  Recorder recorder(origin);
  TrafficPlan plan;
  plan.api_url = api.url();
  plan.rate_per_s = 200;
  plan.duration = std::chrono::milliseconds(1000);
  plan.accounts = 50;
  plan.workers = 16;
  plan.key_prefix = "live-";
  plan.attempt_timeout = kTimeout;
  plan.retry_backoff = std::chrono::milliseconds(10);
  plan.on_attempt = record_into(recorder, [](std::int64_t account) { return account % 2 == 0 ? "hz" : "sz"; });
  std::atomic<bool> stop{false};
  const auto sent = run_traffic(plan, stop);
  ASSERT_EQ(sent.size(), 200u);

  auto counts = api.counts();
  const Window whole{origin, unix_now_us() + Recorder::kBucketUs};
  int held = 0;
  for (const std::string dc : {"hz", "sz"}) {
    EXPECT_EQ(recorder.value(Metric::ok_count, dc, whole).value_or(-1), counts[dc + " 201"]) << dc;
    EXPECT_EQ(recorder.value(Metric::fail_count, dc, whole).value_or(-1), counts[dc + " 503"]) << dc;
    EXPECT_EQ(recorder.value(Metric::unknown_count, dc, whole).value_or(-1), counts[dc + " held"]) << dc;
    held += counts[dc + " held"];
  }
  // Every payment ends applied; 20 got a 503 and 10 were held first.
  EXPECT_EQ(counts["hz 201"] + counts["sz 201"], 200);
  EXPECT_EQ(counts["hz 503"] + counts["sz 503"], 20);
  EXPECT_EQ(held, 10);
  EXPECT_EQ(recorder.value(Metric::ok_count, "", whole).value_or(-1), 200);
  // A held payment's retry is ok after the timeout: its latency counts from
  // when it was due, so the slowest ok is past the timeout.
  EXPECT_GE(*recorder.value(Metric::latency_max, "", whole), static_cast<double>(kTimeout.count()));
  EXPECT_LT(*recorder.value(Metric::latency_p50, "", whole), 100.0);
}

}  // namespace
