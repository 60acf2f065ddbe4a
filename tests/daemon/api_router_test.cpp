#include "daemon/api_router.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/version.h"
#include "tests/daemon/engine_fixture.h"

namespace {

using nlohmann::json;

constexpr const char* kCut = R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}},
                                 "lifetime": {"duration_ms": 60000}, "labels": {"drill": "d1"}})";

class ApiRouterTest : public injector::testing::RouterTest {
 protected:
  // Calls and parses the JSON body, checking the status.
  json expect(int status, const std::string& method, const std::string& target, const std::string& body = "") {
    const auto res = call(method, target, body);
    EXPECT_EQ(res.status, status) << method << " " << target << " -> " << res.body;
    EXPECT_EQ(res.content_type, "application/json");
    const json j = json::parse(res.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << res.body;
    return j;
  }
  std::string apply_ok(const std::string& body = kCut) { return expect(201, "POST", "/v1/faults", body).value("id", ""); }
};

TEST_F(ApiRouterTest, PostValidFaultIs201WithId) {
  const json j = expect(201, "POST", "/v1/faults", kCut);
  const std::string id = j.value("id", "");
  EXPECT_EQ(id.rfind("f-", 0), 0u) << j.dump();
  ASSERT_NE(engine.find(id), nullptr);
  EXPECT_EQ(j["state"], "active");
  EXPECT_EQ(j["slot"], 1);
  EXPECT_EQ(j["spec"]["device"], "eth0");
  EXPECT_EQ(j["spec"]["match"]["peer"], json::array({"10.0.0.0/8"}));
  EXPECT_EQ(j["spec"]["lifetime"]["duration_ms"], 60000);
  EXPECT_EQ(j["spec"]["labels"]["drill"], "d1");
  EXPECT_EQ(j["kernel"]["root"], "fa17:0");
  EXPECT_EQ(j["kernel"]["class"], "fa17:101");
  EXPECT_EQ(j["kernel"]["leaf"], "f001:0");
  EXPECT_EQ(j["kernel"]["filter_rules"], 1);
  EXPECT_EQ(j["counters"]["packets_dropped"], 2001);  // the fake's ifindex*1000+slot
  EXPECT_GT(j["expires_in_ms"].get<std::int64_t>(), 55000);
  EXPECT_LE(j["expires_in_ms"].get<std::int64_t>(), 60000);
  EXPECT_TRUE(j["created_at"].get<std::string>().ends_with("Z"));
  EXPECT_EQ(tc.count("install_fault"), 1u);
}

// Issue 15: a cut said "backend: netem" on a kernel without netem; it names
// what serves it. (`backend` keeps its v1 value for scripts.)
TEST_F(ApiRouterTest, ServedByNamesTrafficControlForCutsAndBandwidth) {
  const json cut = expect(201, "POST", "/v1/faults", kCut);
  EXPECT_EQ(cut["served_by"], "traffic control (blackhole leaf)") << cut.dump();
  const json cap = expect(201, "POST", "/v1/faults",
                          R"({"device": "eth0", "match": {"peer": ["10.1.0.0/16"]},
                              "impairments": {"bandwidth": {"rate_bps": 1000000}}})");
  EXPECT_EQ(cap["served_by"], "traffic control (HTB rate, pfifo leaf)") << cap.dump();
  EXPECT_EQ(cap.dump().find("\"served_by\":\"netem"), std::string::npos);
}

// Issue 15: a fault on traffic another fault already takes was accepted
// silently; the answer names the other fault and which one a packet gets.
TEST_F(ApiRouterTest, OverlappingFaultIsWarnedNamingTheOtherAndTheWinner) {
  const std::string first = apply_ok();  // a cut of 10.0.0.0/8, slot 1
  const json cap = expect(201, "POST", "/v1/faults",
                          R"({"device": "eth0", "match": {"peer": ["10.1.0.0/16"], "protocol": "tcp", "dport": 443},
                              "impairments": {"bandwidth": {"rate_bps": 1000000}}})");
  ASSERT_EQ(cap["warnings"].size(), 1u) << cap.dump();
  const json& w = cap["warnings"][0];
  EXPECT_EQ(w["code"], "overlaps_fault");
  EXPECT_EQ(w["fault"], first);
  const std::string text = w.value("message", "");
  EXPECT_NE(text.find("gets only " + first + "'s (cut)"), std::string::npos) << text;
  EXPECT_NE(text.find("update " + first), std::string::npos) << text;
  // Elsewhere: another network, another port, another device: no warning.
  for (const char* other : {R"({"device": "eth0", "match": {"peer": ["192.168.0.0/16"]}, "impairments": {"cut": {}}})",
                            R"({"device": "eth1", "match": {"peer": ["10.0.0.0/8"]}, "impairments": {"cut": {}}})"}) {
    const json j = expect(201, "POST", "/v1/faults", other);
    EXPECT_EQ(j["warnings"], json::array()) << other << " -> " << j.dump();
  }
  const json port = expect(201, "POST", "/v1/faults",
                           R"({"device": "eth0", "match": {"peer": ["10.1.0.0/16"], "protocol": "tcp", "dport": 80},
                               "impairments": {"cut": {}}})");
  ASSERT_EQ(port["warnings"].size(), 1u) << "port 80 meets the cut of all 10/8, not the cap on 443: " << port.dump();
  EXPECT_EQ(port["warnings"][0]["fault"], first);
}

TEST_F(ApiRouterTest, MalformedJsonIs400) {
  for (const char* body : {"{not json", "", "{\"device\": \"eth0\",}"}) {
    const json j = expect(400, "POST", "/v1/faults", body);
    EXPECT_EQ(j["error"]["code"], "invalid_json") << body;
    EXPECT_EQ(j["error"]["field"], "body");
  }
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(ApiRouterTest, UnknownFieldIs400NamingIt) {
  json body = json::parse(kCut);
  body["lifetme"] = {{"duration_ms", 1}};
  json j = expect(400, "POST", "/v1/faults", body.dump());
  EXPECT_EQ(j["error"]["code"], "invalid_field");
  EXPECT_EQ(j["error"]["field"], "lifetme");
  EXPECT_EQ(j["error"]["message"], "unknown field");
  EXPECT_TRUE(j["error"].contains("allowed"));
  body = json::parse(kCut);
  body["match"]["port"] = 80;
  EXPECT_EQ(expect(400, "POST", "/v1/faults", body.dump())["error"]["field"], "match.port");
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(ApiRouterTest, BadCidrIs400NamingIndex) {
  json body = json::parse(kCut);
  body["match"]["to"] = {"10.0.0.300/8"};
  const json j = expect(400, "POST", "/v1/faults", body.dump());
  EXPECT_EQ(j["error"]["code"], "invalid_field");
  EXPECT_EQ(j["error"]["field"], "match.to[0]");
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(ApiRouterTest, ValidationAndEngineFieldErrorsAre400) {
  json body = json::parse(kCut);
  body["device"] = "nope0";
  EXPECT_EQ(expect(400, "POST", "/v1/faults", body.dump())["error"]["field"], "device");
  body = json::parse(kCut);
  body["direction"] = "sideways";
  EXPECT_EQ(expect(400, "POST", "/v1/faults", body.dump())["error"]["field"], "direction");
  body = json::parse(kCut);
  body["lifetime"]["duration_ms"] = config.max_lifetime.count() + 1;
  EXPECT_EQ(expect(400, "POST", "/v1/faults", body.dump())["error"]["field"], "lifetime.duration_ms");
  EXPECT_EQ(expect(400, "POST", "/v1/faults", "[1,2]")["error"]["field"], "body");
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(ApiRouterTest, ForeignRootIs409) {
  tc.foreign_roots.insert(2);
  const json j = expect(409, "POST", "/v1/faults", kCut);
  EXPECT_EQ(j["error"]["code"], "conflict");
  EXPECT_EQ(j["error"]["field"], "device");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("eth0"), std::string::npos);
  EXPECT_FALSE(tc.any_install());
}

TEST_F(ApiRouterTest, KernelFailureIs500) {
  tc.fail_install_fault = true;
  const json j = expect(500, "POST", "/v1/faults", kCut);
  EXPECT_EQ(j["error"]["code"], "kernel_error");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("install_fault failed"), std::string::npos);
  EXPECT_TRUE(engine.list().empty());
}

TEST_F(ApiRouterTest, ListAndGet) {
  EXPECT_EQ(expect(200, "GET", "/v1/faults")["faults"], json::array());
  const std::string a = apply_ok();
  const std::string b = apply_ok();
  const json list = expect(200, "GET", "/v1/faults");
  ASSERT_EQ(list["faults"].size(), 2u);
  std::set<std::string> ids{list["faults"][0]["id"].get<std::string>(), list["faults"][1]["id"].get<std::string>()};
  EXPECT_EQ(ids, (std::set<std::string>{a, b}));
  const json one = expect(200, "GET", "/v1/faults/" + b);
  EXPECT_EQ(one["id"], b);
  EXPECT_EQ(one["slot"], 2);
}

TEST_F(ApiRouterTest, GetUnknownIdIs404) {
  apply_ok();
  const json j = expect(404, "GET", "/v1/faults/f-000000000000");
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["field"], "id");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("f-000000000000"), std::string::npos);
  EXPECT_EQ(expect(404, "DELETE", "/v1/faults/f-000000000000")["error"]["code"], "not_found");
}

TEST_F(ApiRouterTest, DeleteOne) {
  const std::string a = apply_ok();
  const std::string b = apply_ok();
  EXPECT_EQ(expect(200, "DELETE", "/v1/faults/" + a), json::parse(R"({"reverted": [")" + a + R"("]})"));
  EXPECT_EQ(engine.find(a), nullptr);
  EXPECT_NE(engine.find(b), nullptr);
  EXPECT_EQ(expect(404, "GET", "/v1/faults/" + a)["error"]["code"], "not_found");
}

TEST_F(ApiRouterTest, DeleteAll) {
  EXPECT_EQ(expect(200, "DELETE", "/v1/faults")["reverted"], json::array());
  const std::string a = apply_ok();
  const std::string b = apply_ok();
  const json j = expect(200, "DELETE", "/v1/faults");
  ASSERT_EQ(j["reverted"].size(), 2u);
  EXPECT_EQ((std::set<std::string>{j["reverted"][0].get<std::string>(), j["reverted"][1].get<std::string>()}),
            (std::set<std::string>{a, b}));
  EXPECT_TRUE(engine.list().empty());
  EXPECT_TRUE(tc.our_roots.empty());
}

TEST_F(ApiRouterTest, WrongMethodIs405) {
  json j = expect(405, "PUT", "/v1/faults", kCut);
  EXPECT_EQ(j["error"]["code"], "method_not_allowed");
  EXPECT_EQ(j["error"]["field"], "method");
  EXPECT_EQ(j["error"]["allowed"], "GET, POST, DELETE");
  j = expect(405, "POST", "/v1/faults/f-000000000000", kCut);
  EXPECT_EQ(j["error"]["allowed"], "GET, PATCH, DELETE");
  EXPECT_EQ(expect(405, "DELETE", "/v1/health")["error"]["allowed"], "GET");
  EXPECT_EQ(expect(405, "POST", "/v1/version")["error"]["code"], "method_not_allowed");
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(ApiRouterTest, UnknownPathIs404) {
  for (const char* path : {"/", "/v1", "/v2/faults", "/v1/faultsx", "/v1/faults/", "/v1/health/x"}) {
    const json j = expect(404, "GET", path);
    EXPECT_EQ(j["error"]["code"], "not_found") << path;
    EXPECT_EQ(j["error"]["field"], "path") << path;
  }
}

TEST_F(ApiRouterTest, Health) {
  apply_ok();
  const json j = expect(200, "GET", "/v1/health");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["version"], injector::kVersion);
  EXPECT_EQ(j["api"], "v1");
  EXPECT_EQ(j["faults_active"], 1);
  EXPECT_EQ(j["limits"]["default_lifetime_ms"], 600000);
  EXPECT_EQ(j["limits"]["max_lifetime_ms"], 86400000);
  EXPECT_EQ(j["limits"]["max_body_bytes"], 4096);
  EXPECT_EQ(j["limits"]["max_targets"], injector::SpecLimits::kMaxTargets);
  const json v = expect(200, "GET", "/v1/version");
  EXPECT_EQ(v, (json{{"version", injector::kVersion}, {"api", "v1"}}));
}

TEST_F(ApiRouterTest, QueryStrings) {
  const std::string id = apply_ok();
  EXPECT_EQ(expect(200, "GET", "/v1/health?verbose=1")["status"], "ok");
  EXPECT_EQ(expect(200, "GET", "/v1/faults/" + id + "?x=y")["id"], id);
  // On the fault list a query filters by label; anything else there is refused
  // rather than ignored (a mistyped "dry_run" must not apply a real fault).
  EXPECT_EQ(expect(400, "POST", "/v1/faults?dry_run=1", kCut)["error"]["field"], "query.dry_run");
  EXPECT_EQ(expect(400, "GET", "/v1/faults?label=oops")["error"]["field"], "labels");
  EXPECT_EQ(expect(404, "GET", "/nope?x=1")["error"]["message"], "no such endpoint: /nope");
}

TEST_F(ApiRouterTest, LabelsFilterTheListAndTheRevert) {
  const std::string d1 = apply_ok();  // labelled drill=d1
  const std::string other = expect(201, "POST", "/v1/faults",
                                   R"({"device": "eth0", "match": {"to": ["10.9.0.0/16"]}, "impairments": {"cut": {}},
                                       "labels": {"drill": "d2", "team": "pay"}})")["id"];
  EXPECT_EQ(expect(200, "GET", "/v1/faults?label=drill%3Dd1")["faults"].size(), 1u);
  EXPECT_EQ(expect(200, "GET", "/v1/faults?label=drill=d2&label=team%3Dpay")["faults"][0]["id"], other);
  EXPECT_EQ(expect(200, "GET", "/v1/faults?label=drill=d2&label=team=ops")["faults"].size(), 0u) << "all must match";
  EXPECT_EQ(expect(200, "DELETE", "/v1/faults?label=team%3Dpay")["reverted"], json::array({other}));
  EXPECT_EQ(expect(200, "GET", "/v1/faults")["faults"][0]["id"], d1) << "the other fault stays";
}

}  // namespace
