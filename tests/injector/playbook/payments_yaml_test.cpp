// workload.payments' dialect: a user's own payment API by configuration,
// the sample system's API when nothing is said.
#include <gtest/gtest.h>

#include "injector/drill/payments_api.h"
#include "tests/injector/playbook/playbook_test_util.h"

namespace {

using namespace injector::playbook;
using namespace injector::playbook::testing;

const injector::drill::PaymentsDialect& dialect_of(const ParseResult& r) { return r.playbook.workload.payments->dialect; }

std::string with_payments(const std::string& body) {
  return with("  payments: {rate: 10}", "  payments:\n    rate: 10\n" + body);
}

TEST(PaymentsYaml, NothingSaidIsTheSampleSystemsApi) {
  const ParseResult r = parse_playbook(kValid, {});
  ASSERT_TRUE(r.errors.empty()) << listed(r.errors);
  const auto& d = dialect_of(r);
  const injector::drill::PaymentsDialect sample;
  EXPECT_EQ(d.method, "POST");
  EXPECT_EQ(d.path.text(), "/v1/payments");
  EXPECT_EQ(d.body.text(), injector::drill::kSampleBody);
  EXPECT_TRUE(d.headers.empty());
  EXPECT_EQ(d.idempotency_header, "Idempotency-Key");
  EXPECT_EQ(d.declined_body.pattern(), injector::drill::kSampleDeclinedBody);
  EXPECT_EQ(d.served_by_header, "X-Served-By");
  EXPECT_EQ(d.snapshot, "/v1/ledger/snapshot");
  EXPECT_EQ(d.units, "/v1/units");
  ASSERT_EQ(d.retry_status.size(), 4u);
  EXPECT_EQ(d.retry_status[3].low, 500);
  EXPECT_EQ(d.retry_status[3].high, 599);
}

TEST(PaymentsYaml, TheDocumentedExampleReadsIntoTheDialect) {
  const std::string yaml = with_payments(R"(    api: https://pay.example.com/api
    request:
      method: PUT
      path: /transfers/{{key}}
      headers: {Authorization: "Bearer t0k", X-Amount: "{{amount_minor}}"}
      body: '{"payer": {{from}}, "payee": {{to}}, "cents": {{amount_minor}}, "ccy": "{{currency}}"}'
    idempotency_header: X-Request-Id
    classify:
      ok_status: "200-201"
      declined: {body_match: NACK}
      retry_status: ["409", 503]
      served_by_header: ""
    snapshot: /ledger
    units: ""
)");
  const ParseResult r = parse_playbook(yaml, {});
  ASSERT_TRUE(r.errors.empty()) << listed(r.errors);
  const auto& d = dialect_of(r);
  EXPECT_EQ(d.method, "PUT");
  EXPECT_EQ(d.path.text(), "/transfers/{{key}}");
  ASSERT_EQ(d.headers.size(), 2u);
  EXPECT_EQ(d.headers[0].first, "Authorization");
  EXPECT_EQ(d.headers[1].second.text(), "{{amount_minor}}");
  EXPECT_EQ(d.idempotency_header, "X-Request-Id");
  ASSERT_EQ(d.ok_status.size(), 1u);
  EXPECT_EQ(d.ok_status[0].high, 201);
  EXPECT_TRUE(d.declined_status.empty());  // naming `declined` replaces the sample's 402
  EXPECT_TRUE(d.declined_body.found_in("NACK: insufficient funds"));
  ASSERT_EQ(d.retry_status.size(), 2u);
  EXPECT_EQ(d.retry_status[1].low, 503);
  EXPECT_EQ(d.served_by_header, "");
  EXPECT_EQ(d.snapshot, "/ledger");
  EXPECT_EQ(d.units, "");
}

TEST(PaymentsYaml, AnUnknownPlaceholderIsAnErrorAtItsPath) {
  const auto errors = all_errors(with_payments("    request: {body: '{\"amount\": {{amount}}}'}\n"));
  const auto e = only_error_at(errors, "workload.payments.request.body");
  EXPECT_NE(std::string(e.what()).find("unknown placeholder {{amount}}"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("{{amount_minor}}"), std::string::npos) << e.what();  // what is allowed

  const auto in_path = all_errors(with_payments("    request: {path: '/pay/{{id}}'}\n"));
  only_error_at(in_path, "workload.payments.request.path");
  const auto in_header = all_errors(with_payments("    request: {headers: {X-A: '{{user}}'}}\n"));
  only_error_at(in_header, "workload.payments.request.headers.X-A");
}

TEST(PaymentsYaml, BadStatusesAndPatternsAreErrorsAtTheirPaths) {
  const auto errors = all_errors(with_payments(R"(    classify:
      ok_status: "299-200"
      retry_status: ["409", "5xx"]
      declined: {status: 99, body_match: "(unclosed"}
)"));
  EXPECT_NE(std::string(only_error_at(errors, "workload.payments.classify.ok_status").what()).find("'299-200' is not a status"),
            std::string::npos);
  only_error_at(errors, "workload.payments.classify.retry_status[1]");
  only_error_at(errors, "workload.payments.classify.declined.status");
  only_error_at(errors, "workload.payments.classify.declined.body_match");
  EXPECT_EQ(errors.size(), 4u) << listed(errors);
}

TEST(PaymentsYaml, UnknownKeysAndBadPathsAreRefused) {
  const auto errors = all_errors(with_payments(R"(    request: {verb: POST, method: BREW}
    classify: {ok: "200"}
    snapshot: ledger
)"));
  only_error_at(errors, "workload.payments.request.verb");
  only_error_at(errors, "workload.payments.request.method");
  only_error_at(errors, "workload.payments.classify.ok");
  only_error_at(errors, "workload.payments.snapshot");
  EXPECT_EQ(errors.size(), 4u) << listed(errors);
}

}  // namespace
