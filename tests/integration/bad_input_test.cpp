// Bad requests get a 4xx naming the field, and the kernel is left exactly as it was.

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;

struct BadRequest {
  const char* name;
  std::string body;
  int status;
  const char* field;
};

void PrintTo(const BadRequest& b, std::ostream* os) { *os << b.name; }

json valid() { return cut_body({"10.231.2.0/24"}); }
json many_labels(int n) {
  json labels = json::object();
  for (int i = 0; i < n; ++i) labels["k" + std::to_string(i)] = "v";
  return labels;
}
std::string with(const char* key, json value) {
  json j = valid();
  j[key] = std::move(value);
  return j.dump();
}

std::vector<BadRequest> bad_requests() {
  return {
      {"invalid cidr", with("match", {{"to", {"10.231.2.0/24", "10.300.0.0/16"}}}), 400, "match.to[1]"},
      {"host bits set", with("match", {{"to", {"10.231.2.1/24"}}}), 400, "match.to[0]"},
      {"unknown device", with("device", "nosuchdev0"), 400, "device"},
      {"bad device name", with("device", "eth0/../x"), 400, "device"},
      {"empty targets", with("match", {{"to", json::array()}}), 400, "match.to"},
      {"unknown fault kind", with("impairments", {{"explode", json::object()}}), 400, "impairments.explode"},
      {"no impairment", with("impairments", json::object()), 400, "impairments"},
      {"malformed json", R"({"device": "eth0", "match": )", 400, "body"},
      {"unknown field", with("lifetme", {{"duration_ms", 5}}), 400, "lifetme"},
      {"negative duration", with("lifetime", {{"duration_ms", -5}}), 400, "lifetime.duration_ms"},
      {"absurd duration", with("lifetime", {{"duration_ms", 1e15}}), 400, "lifetime.duration_ms"},
      {"duration over cap", with("lifetime", {{"duration_ms", 90'000'000}}), 400, "lifetime.duration_ms"},
      {"port without protocol", with("match", {{"to", {"10.231.2.0/24"}}, {"dport", 443}}), 400, "match.dport"},
      {"unknown direction", with("direction", "sideways"), 400, "direction"},
      {"reorder without delay", with("impairments", {{"reorder", {{"percent", 5}}}}), 400, "impairments.reorder"},
      {"cut combined", with("impairments", {{"cut", json::object()}, {"bandwidth", {{"rate_bps", 1000000}}}}), 400, "impairments.cut"},
      {"oversized body", with("labels", {{"x", std::string(9 * 1024 * 1024, 'a')}}), 413, "body"},
      // The limits of common/input_limits.h, each just over.
      {"too many targets", with("match", {{"to", json(std::vector<std::string>(65'537, "10.231.2.0/24"))}}), 400, "match.to"},
      {"cidr text too long", with("match", {{"to", {std::string(65, '1')}}}), 400, "match.to[0]"},
      {"device name 16", with("device", "eth0123456789012"), 400, "device"},
      {"33 labels", with("labels", many_labels(33)), 400, "labels"},
      {"label value 256", with("labels", {{"k", std::string(256, 'v')}}), 400, "labels.k"},
      {"lease under 100 ms", with("lifetime", {{"lease_ms", 99}}), 400, "lifetime.lease_ms"},
      {"delay over 60 s", with("impairments", {{"delay", {{"time_us", 60'000'001}}}}), 400, "impairments.delay.time_us"},
      {"loss over 100", with("impairments", {{"loss", {{"percent", 101}}}}), 400, "impairments.loss.percent"},
      {"rate over 100 gbit", with("impairments", {{"bandwidth", {{"rate_bps", 100'000'000'001}}}}), 400, "impairments.bandwidth.rate_bps"},
      {"port 65536", with("match", {{"to", {"10.231.2.0/24"}}, {"protocol", "tcp"}, {"dport", 65536}}), 400, "match.dport"},
      {"flap period over 1 h", with("impairments", {{"flap", {{"period_ms", 3'600'001}}}}), 400, "impairments.flap.period_ms"},
      {"unknown nested field", with("impairments", {{"delay", {{"time_us", 1000}, {"jiter_us", 5}}}}), 400, "impairments.delay.jiter_us"},
  };
}

class BadInput : public DaemonInLab, public ::testing::WithParamInterface<BadRequest> {};

TEST_P(BadInput, IsRefusedWithTheFieldNamedAndChangesNothing) {
  const BadRequest& bad = GetParam();
  const auto a = api("POST", "/v1/faults", bad.body);
  EXPECT_EQ(a.status, bad.status) << a.body.dump();
  ASSERT_TRUE(a.body.is_object()) << "error bodies are JSON";
  EXPECT_EQ(a.body["error"].value("field", ""), bad.field) << a.body.dump();
  EXPECT_FALSE(a.body["error"].value("message", "").empty());
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
  EXPECT_EQ(lab_->exec('a', {"nft", "list", "tables"}).out.find("injectord"), std::string::npos) << "no nf_tables table of ours";
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 0u);
  EXPECT_EQ(udp('a', 'b', false), 20);
}

INSTANTIATE_TEST_SUITE_P(Requests, BadInput, ::testing::ValuesIn(bad_requests()),
                         [](const auto& param_info) {
                           std::string n = param_info.param.name;
                           for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace injector::testing
