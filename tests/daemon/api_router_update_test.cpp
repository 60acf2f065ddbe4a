#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/api_router.h"
#include "daemon/fault_engine.h"
#include "tests/daemon/fake_tc.h"

namespace {

using injector::ApiInfo;
using injector::ApiRouter;
using injector::EngineConfig;
using injector::FaultEngine;
using injector::SteadyTime;
using injector::testing::FakeTc;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kDelay = R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]},
                                   "impairments": {"delay": {"time_us": 30000}}, "lifetime": {"duration_ms": 60000}})";
constexpr const char* kFlap = R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]},
                                  "impairments": {"flap": {"period_ms": 1000, "down_pct": 30}}})";

class ApiRouterUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  json expect(int status, const std::string& method, const std::string& target, const std::string& body = "") {
    injector::http::Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    const auto res = router.handle(req);
    EXPECT_EQ(res.status, status) << method << " " << target << " " << body << " -> " << res.body;
    const json j = json::parse(res.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << res.body;
    return j;
  }
  std::string apply(const char* body = kDelay) { return expect(201, "POST", "/v1/faults", body).value("id", ""); }
  json patch(int status, const std::string& id, const std::string& body) {
    return expect(status, "PATCH", "/v1/faults/" + id, body);
  }

  FakeTc tc;
  EngineConfig config;
  SteadyTime now = SteadyTime{} + 1000h;
  FaultEngine engine{tc, nullptr, config, [this] { return now; }};
  ApiRouter router{engine, ApiInfo{1 << 20}};
};

TEST_F(ApiRouterUpdateTest, PatchIs200WithTheNewSpec) {
  const std::string id = apply();
  tc.calls.clear();
  const json j = patch(200, id, R"({"impairments": {"delay": {"time_us": 200000}, "loss": {"percent": 1}}})");
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["slot"], 1);
  EXPECT_EQ(j["state"], "active");
  EXPECT_EQ(j["spec"]["impairments"]["delay"]["time_us"], 200000);
  EXPECT_EQ(j["spec"]["impairments"]["loss"]["percent"], 1.0);
  EXPECT_EQ(j["spec"]["device"], "eth0");
  EXPECT_EQ(j["spec"]["match"]["peer"], json::array({"10.0.0.0/8"}));
  EXPECT_EQ(j["spec"]["lifetime"]["duration_ms"], 60000);
  EXPECT_EQ(j["expires_in_ms"], 60000);  // not restarted, and the fake clock has not moved
  EXPECT_EQ(tc.count("change_fault"), 1u);
  EXPECT_EQ(tc.count("install_fault") + tc.count("remove_fault") + tc.count("remove_root"), 0u);
  // GET sees the same.
  EXPECT_EQ(expect(200, "GET", "/v1/faults/" + id)["spec"], j["spec"]);
}

TEST_F(ApiRouterUpdateTest, ResponseHasCountersAndKernelLeafKind) {
  const std::string id = apply();
  json j = patch(200, id, R"({"impairments": {"delay": {"time_us": 1000}}})");
  ASSERT_TRUE(j.contains("counters")) << j.dump();
  for (const char* key : {"packets_sent", "bytes_sent", "packets_dropped"}) {
    EXPECT_TRUE(j["counters"].contains(key)) << key << " in " << j["counters"].dump();
  }
  EXPECT_EQ(j["counters"]["packets_dropped"], 2001);  // the fake's ifindex*1000+slot
  EXPECT_EQ(j["kernel"]["leaf_kind"], "netem");
  EXPECT_EQ(j["kernel"]["leaf"], "f001:0");
  j = patch(200, id, R"({"impairments": {"bandwidth": {"rate_bps": 10000000}}})");
  EXPECT_EQ(j["kernel"]["leaf_kind"], "pfifo");
  EXPECT_EQ(j["kernel"]["leaf"], "e001:0");  // another kind: a new leaf grafted in
  EXPECT_EQ(j["counters"]["packets_dropped"], 2 * 2001);  // the old leaf's count kept
  EXPECT_FALSE(j.contains("flap"));
}

TEST_F(ApiRouterUpdateTest, PatchRestartsLifetimeWhenGiven) {
  const std::string id = apply();
  now += 30s;
  json j = patch(200, id, R"({"impairments": {"delay": {"time_us": 1000}}})");
  EXPECT_EQ(j["expires_in_ms"], 30000);
  j = patch(200, id, R"({"impairments": {"delay": {"time_us": 1000}}, "lifetime": {"duration_ms": 120000}})");
  EXPECT_EQ(j["expires_in_ms"], 120000);
  EXPECT_EQ(j["spec"]["lifetime"]["duration_ms"], 120000);
  j = patch(400, id, R"({"impairments": {"delay": {"time_us": 1000}}, "lifetime": {"duration_ms": 1.5}})");
  EXPECT_EQ(j["error"]["field"], "lifetime.duration_ms");
  j = patch(400, id, R"({"impairments": {"delay": {"time_us": 1000}}, "lifetime": {"duration_ms": 999999999999}})");
  EXPECT_EQ(j["error"]["field"], "lifetime.duration_ms");  // over the daemon's cap
  j = patch(400, id, R"({"impairments": {"delay": {"time_us": 1000}}, "lifetime": {"ms": 5}})");
  EXPECT_EQ(j["error"]["field"], "lifetime.ms");
}

TEST_F(ApiRouterUpdateTest, PatchWithoutImpairmentsIs400) {
  const std::string id = apply();
  tc.calls.clear();
  for (const char* body : {R"({})", R"({"lifetime": {"duration_ms": 1000}})", R"({"impairments": null})"}) {
    const json j = patch(400, id, body);
    EXPECT_EQ(j["error"]["code"], "invalid_field") << body;
    EXPECT_EQ(j["error"]["field"], "impairments") << body;
  }
  EXPECT_EQ(patch(400, id, R"({"impairments": {}})")["error"]["field"], "impairments");  // empty: nothing to do
  EXPECT_EQ(patch(400, id, R"({"impairments": 5})")["error"]["field"], "impairments");
  EXPECT_EQ(patch(400, id, R"([1])")["error"]["field"], "body");
  EXPECT_EQ(tc.count("change_fault"), 0u);
}

TEST_F(ApiRouterUpdateTest, UnknownFieldIs400NamingIt) {
  const std::string id = apply();
  tc.calls.clear();
  json j = patch(400, id, R"({"impairments": {"delay": {"time_us": 1000}}, "device": "eth1"})");
  EXPECT_EQ(j["error"]["code"], "invalid_field");
  EXPECT_EQ(j["error"]["field"], "device");  // match and device cannot be changed in place
  EXPECT_EQ(j["error"]["message"], "unknown field");
  j = patch(400, id, R"({"impairments": {"delay": {"time_us": 1000, "jitter": 5}}})");
  EXPECT_EQ(j["error"]["field"], "impairments.delay.jitter");
  j = patch(400, id, R"({"impairments": {"reorder": {"percent": 5}}})");  // parses, but no delay
  EXPECT_EQ(j["error"]["field"], "impairments.reorder");
  EXPECT_EQ(tc.count("change_fault"), 0u);
  EXPECT_EQ(expect(200, "GET", "/v1/faults/" + id)["spec"]["impairments"]["delay"]["time_us"], 30000);
}

TEST_F(ApiRouterUpdateTest, BadJsonIs400) {
  const std::string id = apply();
  for (const char* body : {"{not json", "", R"({"impairments": {}, })"}) {
    const json j = patch(400, id, body);
    EXPECT_EQ(j["error"]["code"], "invalid_json") << body;
    EXPECT_EQ(j["error"]["field"], "body") << body;
  }
  EXPECT_EQ(tc.count("change_fault"), 0u);
}

TEST_F(ApiRouterUpdateTest, UnknownIdIs404) {
  apply();
  const json j = patch(404, "f-000000000000", R"({"impairments": {"delay": {"time_us": 1000}}})");
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["field"], "id");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("f-000000000000"), std::string::npos);
  EXPECT_EQ(patch(404, "f-000000000000", "{not json")["error"]["code"], "not_found");  // the id first
  EXPECT_EQ(tc.count("change_fault"), 0u);
}

TEST_F(ApiRouterUpdateTest, DuplicationNextToNetemIs409) {
  apply();
  const std::string b = apply();
  const json j = patch(409, b, R"({"impairments": {"duplicate": {"percent": 1}}})");
  EXPECT_EQ(j["error"]["code"], "conflict");
}

TEST_F(ApiRouterUpdateTest, FlapFaultsShowLinkAndNextSwitch) {
  const std::string id = apply(kFlap);
  json j = expect(200, "GET", "/v1/faults/" + id);
  ASSERT_TRUE(j.contains("flap")) << j.dump();
  EXPECT_EQ(j["flap"]["link"], "down");
  EXPECT_EQ(j["flap"]["next_switch_in_ms"], 300);
  EXPECT_EQ(j["kernel"]["leaf_kind"], "blackhole");
  now += 100ms;
  EXPECT_EQ(expect(200, "GET", "/v1/faults/" + id)["flap"]["next_switch_in_ms"], 200);
  now += 200ms;
  engine.run_due();
  j = expect(200, "GET", "/v1/faults/" + id);
  EXPECT_EQ(j["flap"]["link"], "up");
  EXPECT_EQ(j["flap"]["next_switch_in_ms"], 700);
  EXPECT_EQ(j["kernel"]["leaf_kind"], "pfifo");
  // Through PATCH: keeping the flap keeps its state; dropping it drops the block.
  j = patch(200, id, R"({"impairments": {"flap": {"period_ms": 1000, "down_pct": 30}, "delay": {"time_us": 5000}}})");
  EXPECT_EQ(j["flap"]["link"], "up");
  EXPECT_EQ(j["kernel"]["leaf_kind"], "netem");
  j = patch(200, id, R"({"impairments": {"delay": {"time_us": 5000}}})");
  EXPECT_FALSE(j.contains("flap")) << j.dump();
  // And in the list.
  EXPECT_FALSE(expect(200, "GET", "/v1/faults")["faults"][0].contains("flap"));
}

}  // namespace
