// Every API error path that quotes what the client sent, fed non-ASCII,
// control characters and values far over the quoting cap: the answer is a
// 4xx naming the field, and its body is valid JSON whose message is printable
// and bounded (issue 15 section 2: such a value once made the answer a 500).

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/strings.h"
#include "tests/support/text_checks.h"
#include "tests/daemon/engine_fixture.h"
#include "tests/support/fuzz_inputs.h"

namespace {

using nlohmann::json;

// 60 ASCII bytes, then 2-, 3- and 4-byte characters across the 64-byte cut,
// a terminal escape, a right-to-left override and a newline; 1,000+ bytes.
std::string nasty() {
  std::string s = "v-" + std::string(58, 'x');
  for (int i = 0; i < 40; ++i) s += "\xD5\xA2\xE4\xB8\xAD\xF0\x9F\x98\x80\x1B[2J\xE2\x80\xAE\n";
  return s;
}
// The same, short enough for fields refused by length before they are read (CIDRs: 64).
std::string short_nasty() { return "10.0.0.0/8\xD5\xA2\xE4\xB8\xAD\xF0\x9F\x98\x80\x1B[2J\xE2\x80\xAE\n"; }

json cut() { return json::parse(R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}}})"); }

struct Case {
  const char* name;
  std::string method, target, body;
  int status;
  std::string field;  // exact
};

std::string post_with(const json::json_pointer& at, const json& value) {
  json j = cut();
  j[at] = value;
  return j.dump();
}

std::vector<Case> cases() {
  using P = json::json_pointer;
  const std::string n = nasty();
  json tcp_port = cut();
  tcp_port["match"]["protocol"] = "tcp";
  tcp_port["match"]["dport"] = n;
  json unknown_top = cut();
  unknown_top[n] = 1;
  json unknown_kind = cut();
  unknown_kind["impairments"] = {{n, json::object()}};
  json label_not_string = cut();
  label_not_string["labels"] = {{n, 5}};
  std::string encoded;
  for (const unsigned char c : n) encoded += "%" + std::string(1, "0123456789ABCDEF"[c >> 4]) + "0123456789ABCDEF"[c & 15];
  return {
      {"device", "POST", "/v1/faults", post_with(P("/device"), n), 400, "device"},
      {"fuzzer's device", "POST", "/v1/faults", injector::testing::kIssue15DeviceBody, 400, "device"},
      {"direction", "POST", "/v1/faults", post_with(P("/direction"), n), 400, "direction"},
      {"backend", "POST", "/v1/faults", post_with(P("/backend"), n), 400, "backend"},
      {"control path", "POST", "/v1/faults", post_with(P("/control_path"), n), 400, "control_path"},
      {"protocol", "POST", "/v1/faults", post_with(P("/match/protocol"), n), 400, "match.protocol"},
      {"port", "POST", "/v1/faults", tcp_port.dump(), 400, "match.dport"},
      {"cidr", "POST", "/v1/faults", post_with(P("/match/to/0"), short_nasty()), 400, "match.to[0]"},
      {"distribution", "POST", "/v1/faults",
       post_with(P("/impairments"), {{"delay", {{"time_us", 1000}, {"jitter_us", 10}, {"distribution", n}}}}), 400,
       "impairments.delay.distribution"},
      {"label key", "POST", "/v1/faults", post_with(P("/labels"), {{n, "v"}}), 400, "labels"},
      {"label value type", "POST", "/v1/faults", label_not_string.dump(), 400, "labels." + injector::printable(n)},
      {"unknown field", "POST", "/v1/faults", unknown_top.dump(), 400, injector::printable(n)},
      {"unknown impairment", "POST", "/v1/faults", unknown_kind.dump(), 400, "impairments." + injector::printable(n)},
      {"unknown query parameter", "GET", "/v1/faults?" + encoded + "=1", "", 400, "query." + injector::printable(n)},
      {"label filter", "GET", "/v1/faults?label=" + encoded + "%3Dv", "", 400, "query.label"},
      {"label filter not k=v", "DELETE", "/v1/faults?label=" + encoded, "", 400, "labels"},
      {"fault id", "GET", "/v1/faults/" + n + "\xFF\xC3", "", 404, "id"},
      {"fault id to revert", "DELETE", "/v1/faults/" + n, "", 404, "id"},
      {"fault id to renew", "POST", "/v1/faults/" + n + "\xC3/lease", "", 404, "id"},
      {"fault id to update", "PATCH", "/v1/faults/" + n, R"({"impairments": {"delay": {"time_us": 1000}}})", 404, "id"},
  };
}

class ApiQuoting : public injector::testing::RouterTest, public ::testing::WithParamInterface<Case> {};

TEST_P(ApiQuoting, IsA4xxNamingTheFieldWithAPrintableBoundedMessage) {
  const Case& c = GetParam();
  const auto res = call(c.method, c.target, c.body);
  EXPECT_EQ(res.status, c.status) << res.body;
  // parse() is strict: invalid UTF-8 in the answer fails here.
  const json j = json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << res.body;
  const json& e = j["error"];
  EXPECT_EQ(e.value("field", ""), c.field) << res.body;
  const std::string message = e.value("message", "");
  EXPECT_FALSE(message.empty());
  // Escaped before the answer was written, not mended by dump()'s replacement characters.
  EXPECT_EQ(message.find("\xEF\xBF\xBD"), std::string::npos) << message;
  EXPECT_EQ(injector::testing::unprintable_in(message), "") << message;
  EXPECT_LT(message.size(), 300u) << message;
  EXPECT_LT(e.value("field", "").size(), 100u);
  EXPECT_TRUE(tc.calls.empty()) << "nothing reached the kernel";
  EXPECT_TRUE(engine.list().empty());
}

INSTANTIATE_TEST_SUITE_P(Paths, ApiQuoting, ::testing::ValuesIn(cases()), [](const auto& p) {
  std::string n = p.param.name;
  for (char& ch : n) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return n;
});

}  // namespace
