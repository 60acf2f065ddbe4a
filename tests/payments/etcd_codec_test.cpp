// The gateway's wire format: base64 keys, int64 as strings, omitted defaults.
#include "etcd_codec.h"

#include <gtest/gtest.h>

#include "base64.h"

namespace payments {
namespace {

using nlohmann::json;

TEST(Base64, RoundTripsEveryLengthAndBinary) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "/pay/acct/00000042"}) EXPECT_EQ(base64_decode(base64_encode(s)), s);
  std::string bin("\0\xff\x10", 3);
  EXPECT_EQ(base64_decode(base64_encode(bin)), bin);
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_THROW(base64_decode("abc"), std::invalid_argument);
  EXPECT_THROW(base64_decode("a$c="), std::invalid_argument);
}

TEST(EtcdCodec, IntegersComeAsStringsNumbersOrNotAtAll) {
  json j = json::parse(R"({"a":"9223372036854775807","b":7,"c":null})");
  EXPECT_EQ(json_int(j, "a"), INT64_MAX);
  EXPECT_EQ(json_int(j, "b"), 7);
  EXPECT_EQ(json_int(j, "c"), 0);
  EXPECT_EQ(json_int(j, "missing"), 0);
  EXPECT_THROW(json_int(json::parse(R"({"a":"12x"})"), "a"), std::invalid_argument);
}

TEST(EtcdCodec, RangeAnswerWithKvs) {
  json a = json::parse(R"({"header":{"revision":"170"},"kvs":[{"key":")" + base64_encode("/k") +
                       R"(","create_revision":"5","mod_revision":"169","version":"3","value":")" +
                       base64_encode("{\"x\":1}") + R"(","lease":"4111120505192988934"}],"count":"1"})");
  RangeResult r = range_from_json(a);
  EXPECT_EQ(r.revision, 170);
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0].key, "/k");
  EXPECT_EQ(r.kvs[0].value, "{\"x\":1}");
  EXPECT_EQ(r.kvs[0].create_revision, 5);
  EXPECT_EQ(r.kvs[0].mod_revision, 169);
  EXPECT_EQ(r.kvs[0].version, 3);
  EXPECT_EQ(r.kvs[0].lease, 4111120505192988934LL);
  EXPECT_EQ(r.count, 1);
  EXPECT_FALSE(r.more);
}

TEST(EtcdCodec, OmittedDefaultsMeanEmptyAndFalse) {
  // A range that found nothing, and a txn whose compare failed, as etcd 3.4 sends them.
  RangeResult r = range_from_json(json::parse(R"({"header":{"revision":"1","raft_term":"2"}})"));
  EXPECT_TRUE(r.kvs.empty());
  EXPECT_EQ(r.count, 0);
  TxnResult t = txn_from_json(json::parse(
      R"({"header":{"revision":"2"},"responses":[{"response_range":{"header":{"revision":"2"}}},{"response_put":{"header":{"revision":"2"}}}]})"));
  EXPECT_FALSE(t.succeeded);
  EXPECT_EQ(t.revision, 2);
  ASSERT_EQ(t.responses.size(), 2u);
  EXPECT_TRUE(t.responses[0].kvs.empty());
  TxnResult ok = txn_from_json(json::parse(R"({"header":{"revision":"3"},"succeeded":true})"));
  EXPECT_TRUE(ok.succeeded);
  EXPECT_TRUE(ok.responses.empty());
}

TEST(EtcdCodec, MalformedAnswersAreRefused) {
  EXPECT_THROW(range_from_json(json::array()), std::invalid_argument);
  EXPECT_THROW(range_from_json(json::parse(R"({"kvs":{}})")), std::invalid_argument);
  EXPECT_THROW(range_from_json(json::parse(R"({"kvs":[{"key":"###="}]})")), std::invalid_argument);
}

TEST(EtcdCodec, TxnRequestEncodesComparesAndOps) {
  Txn t;
  t.compares.push_back({"/a", CmpTarget::Version, 0});
  t.compares.push_back({"/b", CmpTarget::Mod, 12345678901234LL});
  t.compares.push_back({"/c", CmpTarget::Create, 0});
  t.success.push_back(put_op("/a", "v", 77));
  t.failure.push_back(range_op("/p/", prefix_end("/p/")));
  json j = txn_to_json(t);
  EXPECT_EQ(j["compare"][0]["target"], "VERSION");
  EXPECT_EQ(j["compare"][0]["version"], "0");
  EXPECT_EQ(j["compare"][1]["target"], "MOD");
  EXPECT_EQ(j["compare"][1]["mod_revision"], "12345678901234");
  EXPECT_EQ(j["compare"][2]["create_revision"], "0");
  EXPECT_EQ(j["compare"][1]["key"], base64_encode("/b"));
  EXPECT_EQ(j["success"][0]["request_put"]["value"], base64_encode("v"));
  EXPECT_EQ(j["success"][0]["request_put"]["lease"], "77");
  EXPECT_EQ(j["failure"][0]["request_range"]["range_end"], base64_encode("/p0"));
  EXPECT_FALSE(j["failure"][0]["request_range"].contains("revision"));
  EXPECT_FALSE(j["failure"][0]["request_range"].contains("serializable"));
  t.failure.push_back(serializable_range_op("/s"));
  EXPECT_EQ(txn_to_json(t)["failure"][1]["request_range"]["serializable"], true);
}

// The committer's batches: each payment a nested txn that etcd decides on its own.
TEST(EtcdCodec, NestedTxnsEncodeAndTheirAnswersComeBackInOrder) {
  Txn inner;
  inner.compares.push_back({"/p/k1", CmpTarget::Version, 0});
  inner.success.push_back(put_op("/p/k1", "r"));
  inner.failure.push_back(range_op("/p/k1"));
  Txn outer;
  outer.success.push_back(txn_op(inner));
  outer.success.push_back(txn_op(inner));
  json j = txn_to_json(outer);
  ASSERT_EQ(j["success"].size(), 2u);
  EXPECT_EQ(j["success"][1]["request_txn"]["compare"][0]["version"], "0");
  EXPECT_EQ(j["success"][1]["request_txn"]["failure"][0]["request_range"]["key"], base64_encode("/p/k1"));
  // As etcd 3.4's gateway answers: a committed one and a failed one that read the record back.
  TxnResult r = txn_from_json(json::parse(R"({"header": {"revision": "3996"}, "succeeded": true, "responses": [
      {"response_txn": {"header": {}, "succeeded": true, "responses": [{"response_put": {"header": {"revision": "3996"}}}]}},
      {"response_txn": {"header": {}, "responses": [{"response_range": {"header": {"revision": "3996"},
        "kvs": [{"key": "L3AvazE=", "mod_revision": "3990", "value": "cg=="}], "count": "1"}}]}}]})"));
  EXPECT_EQ(r.revision, 3996);
  ASSERT_EQ(r.txns.size(), 2u);
  EXPECT_TRUE(r.txns[0].succeeded);
  EXPECT_FALSE(r.txns[1].succeeded);
  ASSERT_EQ(r.txns[1].responses.size(), 1u);
  ASSERT_EQ(r.txns[1].responses[0].kvs.size(), 1u);
  EXPECT_EQ(r.txns[1].responses[0].kvs[0].key, "/p/k1");
  EXPECT_EQ(r.txns[1].responses[0].kvs[0].mod_revision, 3990);
}

TEST(EtcdCodec, PrefixEndAndPagedRange) {
  EXPECT_EQ(prefix_end("/pay/acct/"), "/pay/acct0");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  json r = range_request("/k", "/l", 42, 2000);
  EXPECT_EQ(r["revision"], "42");
  EXPECT_EQ(r["limit"], "2000");
}

}  // namespace
}  // namespace payments
