// The dialect of a payment API: what a payment becomes on the wire (seen by
// a loopback server) and how answers are read.
#include "injector/drill/payments_dialect.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>

#include "injector/drill/payments_api.h"
#include "injector/drill/traffic.h"
#include "tests/support/loopback_http.h"

namespace {

using namespace injector::drill;

PaymentRequest request(const std::string& currency = "CNY") { return {7, 42, 1250, currency}; }

TEST(PaymentsTemplate, RendersEachPlaceholder) {
  const Template t("{{from}}>{{to}}:{{amount_minor}} {{currency}} #{{key}}");
  EXPECT_EQ(t.render(request(), "k-1", Escape::kNone), "7>42:1250 CNY #k-1");
  EXPECT_EQ(Template("no placeholders").render(request(), "k", Escape::kJson), "no placeholders");
}

TEST(PaymentsTemplate, ValuesAreEscapedForWhereTheyGo) {
  const Template body(R"({"ccy": "{{currency}}", "id": "{{key}}"})");
  const std::string json = body.render(request(R"(C"N\Y)"), "a\"b", Escape::kJson);
  EXPECT_EQ(json, R"({"ccy": "C\"N\\Y", "id": "a\"b"})");
  const auto parsed = nlohmann::json::parse(json);  // still JSON, with the values as given
  EXPECT_EQ(parsed["ccy"], R"(C"N\Y)");
  EXPECT_EQ(parsed["id"], "a\"b");
  EXPECT_EQ(Template("/p/{{key}}").render(request(), "a b/c?d", Escape::kUrl), "/p/a%20b%2Fc%3Fd");
}

TEST(PaymentsTemplate, AnUnknownPlaceholderIsRefusedByName) {
  try {
    Template t(R"({"amount": {{amount}}})");
    FAIL() << "accepted {{amount}}";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown placeholder {{amount}}");
  }
  EXPECT_THROW(Template("{{from"), std::invalid_argument);
}

TEST(PaymentsTemplate, TheSampleBodyIsTheBytesTheWorkloadAlwaysSent) {
  const PaymentRequest r = request();
  EXPECT_EQ(PaymentsDialect().body.render(r, "k", Escape::kJson), r.to_json().dump());
}

PaymentAnswer answer(int status, const std::string& body = "") {
  PaymentAnswer a;
  a.status = status;
  a.raw_body = body;
  return a;
}

TEST(PaymentsClassify, ByTheDialectsRules) {
  PaymentsDialect d;
  d.ok_status = {{200, 200}};
  d.declined_status = {};
  d.declined_body = BodyMatch("^NACK");
  d.retry_status = {{503, 503}};
  EXPECT_EQ(classify(answer(200, "ACK"), d), Outcome::kApplied);
  EXPECT_EQ(classify(answer(200, "NACK no funds"), d), Outcome::kDeclined);
  EXPECT_EQ(classify(answer(200, "ACK, not a NACK"), d), Outcome::kApplied);
  EXPECT_EQ(classify(answer(503), d), Outcome::kUnknown);
  EXPECT_EQ(classify(answer(0), d), Outcome::kUnknown);  // no answer: always worth another try
  for (int s : {201, 402, 409, 500}) EXPECT_EQ(classify(answer(s), d), Outcome::kRefused) << s;
  EXPECT_EQ(observe(answer(200, "NACK"), 1000, std::chrono::milliseconds(1000), d), Observed::kOk);
  EXPECT_EQ(observe(answer(500), 1000, std::chrono::milliseconds(1000), d), Observed::kFail);
  // The same answers in the sample's dialect.
  EXPECT_EQ(classify(answer(201, "ACK")), Outcome::kApplied);
  EXPECT_EQ(classify(answer(402)), Outcome::kDeclined);
  EXPECT_EQ(classify(answer(201, R"({"status": "declined"})")), Outcome::kDeclined);
  EXPECT_EQ(classify(answer(500)), Outcome::kUnknown);
}

std::string header(const httplib::Headers& h, const char* name) {
  const auto it = h.find(name);  // Headers compare names without case
  return it == h.end() ? "" : it->second;
}

// What a loopback server saw of one request.
struct Seen {
  std::mutex mu;
  std::string method, path, body;
  httplib::Headers headers;
  void record(const httplib::Request& req) {
    std::lock_guard lock(mu);
    method = req.method;
    path = req.path;
    body = req.body;
    headers = req.headers;
  }
};

TEST(PaymentsApiDialect, TheSampleRequestIsTodays) {
  injector::testing::LoopbackHttp server;
  Seen seen;
  server.server().Post("/v1/payments", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    res.set_header("X-Served-By", "sz");
    res.set_content(R"({"status":"applied"})", "application/json");
  });
  server.start();
  PaymentsApi api(server.url(), std::chrono::milliseconds(2000));
  const PaymentAnswer a = api.pay("key-1", request());
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.served_by, "sz");
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, request().to_json().dump());
  EXPECT_EQ(header(seen.headers, "Idempotency-Key"), "key-1");
  EXPECT_EQ(header(seen.headers, "Content-Type"), "application/json");
}

TEST(PaymentsApiDialect, ACustomRequestReachesTheServerAsConfigured) {
  injector::testing::LoopbackHttp server;
  Seen seen;
  server.server().Put(R"(/api/transfers/.*)", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    res.set_header("X-Region", "eu-1");
    res.set_content("NACK", "text/plain");
  });
  server.start();
  PaymentsDialect d;
  d.method = "PUT";
  d.path = Template("/transfers/{{key}}");
  d.headers = {{"Authorization", Template("Bearer s3cret")}, {"X-Payer", Template("{{from}}")}};
  d.body = Template(R"({"payer":{{from}},"payee":{{to}},"cents":{{amount_minor}},"ccy":"{{currency}}"})");
  d.idempotency_header = "X-Request-Id";
  d.served_by_header = "X-Region";
  d.declined_body = BodyMatch("^NACK$");
  PaymentsApi api(server.url() + "/api/", std::chrono::milliseconds(2000), d);
  const PaymentAnswer a = api.pay("k 2", request());
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.served_by, "eu-1");
  EXPECT_EQ(classify(a, d), Outcome::kDeclined);
  EXPECT_EQ(seen.method, "PUT");
  // A raw space would have broken the request line; the server may hand the path decoded.
  EXPECT_TRUE(seen.path == "/api/transfers/k%202" || seen.path == "/api/transfers/k 2") << seen.path;
  EXPECT_EQ(seen.body, R"({"payer":7,"payee":42,"cents":1250,"ccy":"CNY"})");
  EXPECT_EQ(header(seen.headers, "X-Request-Id"), "k 2");
  EXPECT_EQ(header(seen.headers, "Authorization"), "Bearer s3cret");
  EXPECT_EQ(header(seen.headers, "X-Payer"), "7");
  EXPECT_FALSE(seen.headers.count("Idempotency-Key"));  // the sample's header is not also sent
}

// https:// means TLS: a plain HTTP server never sees a request from it,
// while the same server answers the same payment over http://.
TEST(PaymentsApiUrl, HttpsSpeaksTls) {
  injector::testing::LoopbackHttp server;
  std::atomic<int> requests{0};
  server.server().Post("/v1/payments", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content(R"({"status":"applied"})", "application/json");
  });
  server.start();
  const std::string port = server.url().substr(server.url().rfind(':'));
  PaymentsApi tls("https://127.0.0.1" + port, std::chrono::milliseconds(2000));
  const PaymentAnswer a = tls.pay("k", request());
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.transport_error, "SSLConnection");
  EXPECT_EQ(requests.load(), 0);
  PaymentsApi plain("http://127.0.0.1" + port, std::chrono::milliseconds(2000));
  EXPECT_EQ(plain.pay("k", request()).status, 200);
  EXPECT_EQ(requests.load(), 1);
}

TEST(PaymentsApiUrl, HttpOrHttpsWithAnOptionalPrefix) {
  EXPECT_EQ(parse_api_url("https://pay.example.com").origin, "https://pay.example.com");
  EXPECT_EQ(parse_api_url("https://pay.example.com/api/v2/").prefix, "/api/v2");
  EXPECT_EQ(parse_api_url("http://[::1]:8080").origin, "http://[::1]:8080");
  for (const char* bad : {"ftp://x:1", "http://", "http://x:0", "http://x:99999", "http://x/a?b", "x:80"}) {
    EXPECT_THROW(parse_api_url(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
