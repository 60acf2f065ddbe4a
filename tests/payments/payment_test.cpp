// Request validation, the record, and the one transaction a payment is.
#include "payment.h"

#include <gtest/gtest.h>

namespace payments {
namespace {

PayConfig cfg() { return make_config(12, {"hz", "sh", "sz"}, {{"hz", "sh"}}, "CNY", 100, 1000); }

std::string why(const std::string& body) {
  auto r = parse_payment(body, cfg());
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

TEST(PaymentRequest, AcceptsAWellFormedPayment) {
  auto r = parse_payment(R"({"from":3,"to":99,"amount_minor":250,"currency":"CNY"})", cfg());
  ASSERT_TRUE(std::holds_alternative<PaymentRequest>(r));
  EXPECT_EQ(std::get<PaymentRequest>(r).from, 3);
  EXPECT_EQ(std::get<PaymentRequest>(r).to, 99);
  EXPECT_EQ(std::get<PaymentRequest>(r).amount_minor, 250);
}

TEST(PaymentRequest, RefusesEachBadField) {
  EXPECT_NE(why("not json"), "");
  EXPECT_NE(why("[1]"), "");
  EXPECT_NE(why(R"({"from":3,"to":3,"amount_minor":1,"currency":"CNY"})").find("differ"), std::string::npos);
  EXPECT_NE(why(R"({"from":100,"to":3,"amount_minor":1,"currency":"CNY"})").find("from"), std::string::npos);
  EXPECT_NE(why(R"({"from":-1,"to":3,"amount_minor":1,"currency":"CNY"})").find("from"), std::string::npos);
  EXPECT_NE(why(R"({"from":1,"to":"3","amount_minor":1,"currency":"CNY"})").find("to"), std::string::npos);
  EXPECT_NE(why(R"({"from":1,"to":3,"amount_minor":0,"currency":"CNY"})").find("amount_minor"), std::string::npos);
  EXPECT_NE(why(R"({"from":1,"to":3,"amount_minor":1.5,"currency":"CNY"})").find("amount_minor"), std::string::npos);
  EXPECT_NE(why(R"({"from":1,"to":3,"amount_minor":1,"currency":"USD"})").find("currency"), std::string::npos);
  EXPECT_NE(why(R"({"from":1,"to":3,"amount_minor":1,"currency":"CNY","memo":"x"})").find("memo"), std::string::npos);
}

TEST(PaymentRequest, IdempotencyKeyRules) {
  EXPECT_EQ(check_idempotency_key("abc-1.2_3:4"), "");
  EXPECT_NE(check_idempotency_key(""), "");
  EXPECT_NE(check_idempotency_key("a/b"), "");
  EXPECT_NE(check_idempotency_key(std::string(129, 'a')), "");
}

TEST(PaymentRequest, BodyHashIsTheMeaningNotTheSpelling) {
  auto a = std::get<PaymentRequest>(parse_payment(R"({"from":1,"to":2,"amount_minor":5,"currency":"CNY"})", cfg()));
  auto b = std::get<PaymentRequest>(parse_payment(R"({ "currency":"CNY","amount_minor":5,"to":2,"from":1 })", cfg()));
  auto c = std::get<PaymentRequest>(parse_payment(R"({"from":1,"to":2,"amount_minor":6,"currency":"CNY"})", cfg()));
  EXPECT_EQ(body_hash(a), body_hash(b));
  EXPECT_NE(body_hash(a), body_hash(c));
  EXPECT_EQ(body_hash(a).size(), 64u);
}

TEST(PaymentTxn, AppliedMovesMoneyUnderFourCompares) {
  PaymentRequest r{13, 2, 300, "CNY"};
  PaymentRead read{1000, 50, 7, 60, 40};
  Record rec = decide("k1", r, read, "hz", 1);
  EXPECT_EQ(rec.status, "applied");
  Txn t = payment_txn(rec, read);
  ASSERT_EQ(t.compares.size(), 4u);
  EXPECT_EQ(t.compares[0].key, "/pay/pmt/k1");
  EXPECT_EQ(t.compares[0].target, CmpTarget::Version);
  EXPECT_EQ(t.compares[0].value, 0);
  EXPECT_EQ(t.compares[1].key, "/pay/unit/01/owner");
  EXPECT_EQ(t.compares[1].target, CmpTarget::Mod);
  EXPECT_EQ(t.compares[1].value, 40);
  EXPECT_EQ(t.compares[2].key, "/pay/acct/00000013");
  EXPECT_EQ(t.compares[2].value, 50);
  EXPECT_EQ(t.compares[3].key, "/pay/acct/00000002");
  EXPECT_EQ(t.compares[3].value, 60);
  ASSERT_EQ(t.success.size(), 3u);
  EXPECT_EQ(account_balance(t.success[1].value), 700);
  EXPECT_EQ(account_balance(t.success[2].value), 307);
  Record back = record_from_json(nlohmann::json::parse(t.success[0].value));
  EXPECT_EQ(back.status, "applied");
  EXPECT_EQ(back.epoch, 40);
  EXPECT_EQ(back.served_by, "hz");
  ASSERT_EQ(t.failure.size(), 2u);
  EXPECT_EQ(t.failure[0].key, "/pay/pmt/k1");
  EXPECT_EQ(t.failure[1].key, "/pay/unit/01/owner");
}

TEST(PaymentTxn, OverdraftIsDeclinedAndRecordedOnly) {
  PaymentRequest r{13, 2, 1001, "CNY"};
  PaymentRead read{1000, 50, 7, 60, 40};
  Record rec = decide("k2", r, read, "sh", 1);
  EXPECT_EQ(rec.status, "declined");
  EXPECT_EQ(rec.reason, "insufficient_funds");
  Txn t = payment_txn(rec, read);
  ASSERT_EQ(t.success.size(), 1u);  // no balance moves
  EXPECT_EQ(t.success[0].key, "/pay/pmt/k2");
  ASSERT_EQ(t.compares.size(), 3u);  // still fenced, still on the balance it was decided on
  EXPECT_EQ(t.compares[1].value, 40);
  EXPECT_EQ(t.compares[2].value, 50);
  // Exactly the balance is enough.
  EXPECT_EQ(decide("k3", PaymentRequest{13, 2, 1000, "CNY"}, read, "sh", 1).status, "applied");
}

TEST(PaymentRecord, RoundTripsAndRefusesGarbage) {
  Record r{"k", "declined", 1, 2, 3, "CNY", "sz", 4, 5, "h", "insufficient_funds"};
  Record b = record_from_json(record_to_json(r));
  EXPECT_EQ(b.key, "k");
  EXPECT_EQ(b.reason, "insufficient_funds");
  EXPECT_EQ(b.unit, 4);
  EXPECT_THROW(record_from_json(nlohmann::json::object()), std::invalid_argument);
  auto j = record_to_json(r);
  j["status"] = "maybe";
  EXPECT_THROW(record_from_json(j), std::invalid_argument);
}

}  // namespace
}  // namespace payments
