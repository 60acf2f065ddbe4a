#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "daemon/api_router.h"
#include "tests/daemon/engine_fixture.h"

namespace {

namespace metrics = injector::metrics;

constexpr const char* kCut = R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}}})";

TEST(MetricsEscape, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(metrics::escape_label_value("plain"), "plain");
  EXPECT_EQ(metrics::escape_label_value(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(metrics::escape_label_value(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(metrics::escape_label_value("two\nlines"), R"(two\nlines)");
}

TEST(MetricsEscape, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(metrics::escape_help("a \"b\"\\c\nd"), "a \"b\"\\\\c\\nd");
}

TEST(MetricsWriter, WritesHelpTypeAndLabelledSamples) {
  metrics::Writer w;
  w.family("x_total", "counter", "Things.");
  w.sample({{"dev", "eth\"0"}, {"k", "v"}}, 7);
  w.sample(3);
  EXPECT_EQ(w.text(), "# HELP x_total Things.\n# TYPE x_total counter\nx_total{dev=\"eth\\\"0\",k=\"v\"} 7\nx_total 3\n");
}

// GET /metrics in front of the router, as the daemon serves it.
class MetricsTest : public injector::testing::RouterTest {
 protected:
  injector::http::Response serve(const injector::http::Request& req) override { return handler(req); }
  std::string scrape() {
    const auto res = call("GET", "/metrics");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
    return res.body;
  }
  static bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  }

  injector::http::Handler handler =
      metrics::serve_metrics(engine, [this](const injector::http::Request& r) { return router.handle(r); });
};

TEST_F(MetricsTest, EmptyDaemonShowsZeroActiveAndEveryFamilyTyped) {
  const std::string m = scrape();
  EXPECT_TRUE(has_line(m, "injector_faults_active 0")) << m;
  EXPECT_TRUE(has_line(m, "injector_fault_applies_total 0")) << m;
  EXPECT_TRUE(has_line(m, "injector_lease_expiries_total 0")) << m;
  EXPECT_TRUE(has_line(m, "# TYPE injector_packets_dropped_total counter")) << m;
  EXPECT_TRUE(has_line(m, "injector_fault_failures_total{operation=\"apply\",reason=\"kernel\"} 0")) << m;
}

TEST_F(MetricsTest, ActiveFaultHasItsCountersAndTheTotalsSurviveItsRevert) {
  const auto applied = call("POST", "/v1/faults", kCut);
  ASSERT_EQ(applied.status, 201) << applied.body;
  const std::string id = nlohmann::json::parse(applied.body)["id"];
  // FakeTc counts ifindex * 1000 + slot as dropped: eth0 (2), slot 1.
  std::string m = scrape();
  EXPECT_TRUE(has_line(m, "injector_faults_active 1")) << m;
  EXPECT_TRUE(has_line(m, "injector_faults_active_by_kind{kind=\"cut\",backend=\"netem\"} 1")) << m;
  EXPECT_TRUE(has_line(m, "injector_fault_packets_dropped_total{fault=\"" + id +
                              "\",device=\"eth0\",kind=\"cut\",backend=\"netem\"} 2001")) << m;
  EXPECT_TRUE(has_line(m, "injector_packets_dropped_total{device=\"eth0\",backend=\"netem\"} 2001")) << m;
  EXPECT_TRUE(has_line(m, "injector_fault_applies_total 1")) << m;

  ASSERT_EQ(call("DELETE", "/v1/faults/" + id).status, 200);
  m = scrape();
  EXPECT_TRUE(has_line(m, "injector_faults_active 0")) << m;
  EXPECT_EQ(m.find("fault=\"" + id + "\""), std::string::npos) << "a reverted fault's own series go: " << m;
  EXPECT_TRUE(has_line(m, "injector_packets_dropped_total{device=\"eth0\",backend=\"netem\"} 2001"))
      << "the total keeps what the reverted fault dropped: " << m;
  EXPECT_TRUE(has_line(m, "injector_fault_reverts_total 1")) << m;
  EXPECT_TRUE(has_line(m, "injector_api_requests_total{method=\"POST\",code=\"201\"} 1")) << m;
  EXPECT_TRUE(has_line(m, "injector_api_requests_total{method=\"DELETE\",code=\"200\"} 1")) << m;
}

TEST_F(MetricsTest, FailuresAreCountedByReason) {
  tc.foreign_roots.insert(2);
  EXPECT_EQ(call("POST", "/v1/faults", kCut).status, 409);
  EXPECT_EQ(call("POST", "/v1/faults", R"({"device": "eth0"})").status, 400);
  const std::string m = scrape();
  EXPECT_TRUE(has_line(m, "injector_fault_failures_total{operation=\"apply\",reason=\"conflict\"} 1")) << m;
  EXPECT_TRUE(has_line(m, "injector_fault_applies_total 0")) << m;
  EXPECT_TRUE(has_line(m, "injector_api_requests_total{method=\"POST\",code=\"409\"} 1")) << m;
}

TEST_F(MetricsTest, OnlyGetIsAllowedAndOtherPathsReachTheApi) {
  EXPECT_EQ(call("POST", "/metrics").status, 405);
  EXPECT_EQ(call("GET", "/v1/version").status, 200);
  EXPECT_EQ(call("BREW", "/v1/version").status, 405);
  EXPECT_TRUE(has_line(scrape(), "injector_api_requests_total{method=\"other\",code=\"405\"} 1"));
}

}  // namespace
