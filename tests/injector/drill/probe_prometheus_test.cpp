// The Prometheus probe against a loopback stand-in that answers what a test
// sets: every answer short of one number is unknown, never ok. (The real
// server is in probe_prometheus_server_test.cpp.)

#include <gtest/gtest.h>

#include <httplib.h>

#include <memory>
#include <mutex>
#include <thread>

#include "injector/drill/probes.h"
#include "tests/injector/drill/probe_test_util.h"
#include "tests/support/loopback_http.h"

namespace {

using namespace injector::drill;
using namespace injector::drill::testing;
using injector::playbook::CompareOp;
using std::chrono::milliseconds;

std::string vector_of(const std::vector<std::string>& values) {
  std::string samples;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) samples += ",";
    samples += R"({"metric":{"instance":"i)" + std::to_string(i) + R"("},"value":[1700000000.5,")" + values[i] + "\"]}";
  }
  return R"({"status":"success","data":{"resultType":"vector","result":[)" + samples + "]}}";
}

class PrometheusStandIn : public ::testing::Test {
 protected:
  void SetUp() override {
    http_->server().Get(R"(/(prom/)?api/v1/query)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      last_query_ = req.get_param_value("query");
      last_path_ = req.path;
      if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
      res.status = status_;
      res.set_content(body_, "application/json");
    });
    http_->start();
  }
  void answer(int status, std::string body) {
    std::lock_guard lock(mu_);
    status_ = status;
    body_ = std::move(body);
  }
  void delay(milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }
  ProbeResult probe(CompareOp op, double value, const std::string& query = "up") {
    return run_probe_once(prometheus_probe(http_->url(), query, op, value));
  }

  std::unique_ptr<injector::testing::LoopbackHttp> http_ = std::make_unique<injector::testing::LoopbackHttp>();
  std::mutex mu_;
  int status_ = 200;
  std::string body_;
  std::string last_query_, last_path_;
  milliseconds delay_{0};
};

TEST_F(PrometheusStandIn, OneSampleIsComparedWithTheOperator) {
  answer(200, vector_of({"1"}));
  const ProbeResult ok = probe(CompareOp::ge, 1);
  EXPECT_EQ(ok.observed, Observed::kOk) << ok.detail;
  EXPECT_EQ(ok.value, 1.0);
  const ProbeResult fail = probe(CompareOp::lt, 1);
  EXPECT_EQ(fail.observed, Observed::kFail) << fail.detail;
  EXPECT_EQ(fail.value, 1.0);
  // Every operator, on both sides of its edge: the playbook's op is the drill's.
  answer(200, vector_of({"0.5"}));
  EXPECT_EQ(probe(CompareOp::gt, 0.4).observed, Observed::kOk);
  EXPECT_EQ(probe(CompareOp::gt, 0.5).observed, Observed::kFail);
  EXPECT_EQ(probe(CompareOp::le, 0.5).observed, Observed::kOk);
  EXPECT_EQ(probe(CompareOp::le, 0.4).observed, Observed::kFail);
  EXPECT_EQ(probe(CompareOp::eq, 0.5).observed, Observed::kOk);
  EXPECT_EQ(probe(CompareOp::eq, 0.4).observed, Observed::kFail);
  EXPECT_EQ(probe(CompareOp::ne, 0.4).observed, Observed::kOk);
  EXPECT_EQ(probe(CompareOp::ne, 0.5).observed, Observed::kFail);
}

TEST_F(PrometheusStandIn, AScalarIsCompared) {
  answer(200, R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}})");
  EXPECT_EQ(probe(CompareOp::eq, 42).observed, Observed::kOk);
  EXPECT_EQ(probe(CompareOp::lt, 42).observed, Observed::kFail);
  answer(200, vector_of({"+Inf"}));
  EXPECT_EQ(probe(CompareOp::gt, 1e300).observed, Observed::kOk);
}

TEST_F(PrometheusStandIn, AnythingButOneNumberIsUnknown) {
  answer(200, vector_of({"1"}));
  ASSERT_EQ(probe(CompareOp::ge, 1).observed, Observed::kOk);  // the same server, the same probe
  const std::vector<std::pair<int, std::string>> blind = {
      {200, vector_of({})},
      {200, vector_of({"1", "1"})},
      {200, vector_of({"NaN"})},
      {200, vector_of({"one"})},
      {200, R"({"status":"error","errorType":"bad_data","error":"parse error"})"},
      {200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})"},
      {200, R"({"status":"success"})"},
      {200, R"({"status":"success","data":{"resultType":"vector","result":[{"value":1}]}})"},
      {200, "not json"},
      {503, vector_of({"1"})},
      {422, R"({"status":"error","errorType":"execution","error":"too many samples"})"},
  };
  for (const auto& [status, body] : blind) {
    answer(status, body);
    for (CompareOp op : {CompareOp::ge, CompareOp::lt, CompareOp::ne}) {
      const ProbeResult r = probe(op, 1);
      EXPECT_EQ(r.observed, Observed::kUnknown) << status << " " << body << ": " << r.detail;
      EXPECT_FALSE(r.detail.empty());
    }
  }
}

TEST_F(PrometheusStandIn, TheDetailSaysWhyItCouldNotObserve) {
  answer(200, vector_of({}));
  EXPECT_NE(probe(CompareOp::ge, 1).detail.find("empty"), std::string::npos);
  answer(200, vector_of({"1", "2", "3"}));
  EXPECT_NE(probe(CompareOp::ge, 1).detail.find("3 samples"), std::string::npos);
  answer(200, R"({"status":"error","errorType":"bad_data","error":"parse error at char 3"})");
  EXPECT_NE(probe(CompareOp::ge, 1).detail.find("parse error at char 3"), std::string::npos);
  answer(503, "{}");
  EXPECT_NE(probe(CompareOp::ge, 1).detail.find("503"), std::string::npos);
}

TEST_F(PrometheusStandIn, TheQueryIsSentWhole) {
  answer(200, vector_of({"1"}));
  const std::string query = R"(sum(rate(http_requests_total{job="pay api",code=~"5.."}[1m])) / 2 + 1 > 0 & #x)";
  EXPECT_EQ(probe(CompareOp::ge, 1, query).observed, Observed::kOk);
  EXPECT_EQ(last_query_, query);
  EXPECT_EQ(last_path_, "/api/v1/query");
  // A Prometheus behind a path prefix.
  EXPECT_EQ(run_probe_once(prometheus_probe(http_->url() + "/prom/", "up", CompareOp::ge, 1)).observed,
            Observed::kOk);
  EXPECT_EQ(last_path_, "/prom/api/v1/query");
}

TEST_F(PrometheusStandIn, AServerThatIsDownOrSlowIsUnknownNeverOk) {
  answer(200, vector_of({"1"}));
  const std::string url = http_->url();
  ASSERT_EQ(probe(CompareOp::ge, 1).observed, Observed::kOk);
  delay(milliseconds(600));  // beyond the probe's timeout below
  const ProbeResult slow = run_probe_once(prometheus_probe(url, "up", CompareOp::ge, 1, milliseconds(200)));
  EXPECT_EQ(slow.observed, Observed::kUnknown) << slow.detail;
  http_.reset();
  for (CompareOp op : {CompareOp::ge, CompareOp::lt}) {
    const ProbeResult down = run_probe_once(prometheus_probe(url, "up", op, 1));
    EXPECT_EQ(down.observed, Observed::kUnknown) << down.detail;
    EXPECT_NE(down.detail.find("did not answer"), std::string::npos) << down.detail;
  }
}

}  // namespace
