// The input limits on calls other than apply: a refused PATCH, lease renewal
// or query names its field and leaves the live fault and the kernel as they were.

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;
using InputLimits = DaemonInLab;

std::string label_query(int n) {
  std::string q = "?";
  for (int i = 0; i < n; ++i) q += (i ? "&" : "") + std::string("label=k") + std::to_string(i) + "%3Dv";
  return q;
}

TEST_F(InputLimits, OverLimitPatchNamesTheFieldAndLeavesTheFaultAsItWas) {
  const std::string id = apply_cut({ThreeSiteLab::v4_net('b')});
  ASSERT_FALSE(id.empty());
  const json before = api("GET", "/v1/faults/" + id).body;
  const std::string tc_before = lab_->tc_snapshot('a');
  const std::vector<std::pair<json, std::string>> patches{
      {{{"impairments", {{"delay", {{"time_us", 60'000'001}}}}}}, "impairments.delay.time_us"},
      {{{"impairments", {{"loss", {{"percent", 101}}}}}}, "impairments.loss.percent"},
      {{{"impairments", {{"cut", json::object()}}}, {"lifetime", {{"lease_ms", 1000}}}}, "lifetime.lease_ms"},
      {{{"impairments", {{"cut", json::object()}}}, {"lifetime", {{"duration_ms", 90'000'000}}}}, "lifetime.duration_ms"},
      {{{"impairments", {{"cut", json::object()}}}, {"device", "eth1"}}, "device"},
  };
  for (const auto& [body, field] : patches) {
    const auto a = api("PATCH", "/v1/faults/" + id, body.dump());
    EXPECT_EQ(a.status, 400) << body.dump() << " -> " << a.body.dump();
    EXPECT_EQ(a.body["error"].value("field", ""), field) << a.body.dump();
    EXPECT_FALSE(a.body["error"].value("allowed", "").empty()) << a.body.dump();
  }
  const json after = api("GET", "/v1/faults/" + id).body;
  EXPECT_EQ(after["spec"], before["spec"]);
  EXPECT_EQ(after["expires_at"], before["expires_at"]);
  EXPECT_EQ(lab_->tc_snapshot('a'), tc_before);
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false)) << "the cut is still in force";
}

TEST_F(InputLimits, LeaseRenewalWithABodyIsRefused) {
  json body = cut_body({ThreeSiteLab::v4_net('b')});
  body["lifetime"] = {{"lease_ms", 30'000}};
  const auto applied = api("POST", "/v1/faults", body.dump());
  ASSERT_EQ(applied.status, 201) << applied.body.dump();
  const std::string id = applied.body["id"];
  const auto a = api("POST", "/v1/faults/" + id + "/lease", R"({"lease_ms": 99999999})");
  EXPECT_EQ(a.status, 400) << a.body.dump();
  EXPECT_EQ(a.body["error"].value("field", ""), "body");
  EXPECT_EQ(api("GET", "/v1/faults/" + id).body["spec"]["lifetime"].value("lease_ms", 0), 30'000);
}

TEST_F(InputLimits, LabelFiltersAreLimitedAndARefusedRevertRevertsNothing) {
  json body = cut_body({ThreeSiteLab::v4_net('b')});
  body["labels"] = {{"k0", "v"}};
  ASSERT_EQ(api("POST", "/v1/faults", body.dump()).status, 201);
  const std::string tc_with_fault = lab_->tc_snapshot('a');
  for (const std::string& query : {label_query(33), std::string("?label=bad%20key%3Dv"),
                                   "?label=k%3D" + std::string(256, 'v')}) {
    for (const char* method : {"GET", "DELETE"}) {
      const auto a = api(method, "/v1/faults" + query);
      EXPECT_EQ(a.status, 400) << method << " " << query.substr(0, 80) << " -> " << a.body.dump();
      EXPECT_EQ(a.body["error"].value("field", "").rfind("query.label", 0), 0u) << a.body.dump();
    }
  }
  EXPECT_EQ(api("GET", "/v1/faults" + label_query(32)).status, 200) << "32 filters are allowed";
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 1u) << "a refused DELETE reverted nothing";
  EXPECT_EQ(lab_->tc_snapshot('a'), tc_with_fault);
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false));
}

}  // namespace
}  // namespace injector::testing
