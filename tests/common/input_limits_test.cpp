// Every input limit of common/input_limits.h, at the decoder and validate():
// a value just inside is taken, one just outside is refused naming its field.

#include "common/input_limits.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/fault_json.h"
#include "common/field_error.h"
#include "common/strings.h"

namespace {

using nlohmann::json;
namespace limits = injector::limits;

json base() {
  return json::parse(R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}}})");
}
json with_impairments(json imp) {
  json j = base();
  j["impairments"] = std::move(imp);
  return j;
}
json delayed(json extra) {
  json imp = {{"delay", {{"time_us", 10000}}}};
  imp.update(extra);
  return with_impairments(imp);
}

// The field named by decoding plus validation, or "" when the spec is taken.
// Through text, as on the wire: a parsed 443 is unsigned, a C++ 443 is not.
std::string refused_field(const json& j) {
  try {
    injector::validate(injector::fault_spec_from_json(json::parse(j.dump())));
  } catch (const injector::FieldError& e) {
    EXPECT_FALSE(e.message().empty());
    return e.field();
  }
  return "";
}

struct Case {
  const char* name;
  json body;
  const char* field;  // "" = accepted
};

std::vector<Case> cases() {
  auto dev = [](std::size_t n) { json j = base(); j["device"] = std::string(n, 'e'); return j; };
  auto labels = [](std::size_t n) {
    json j = base();
    for (std::size_t i = 0; i < n; ++i) j["labels"]["k" + std::to_string(i)] = "v";
    return j;
  };
  auto label = [](std::string k, std::string v) { json j = base(); j["labels"][k] = v; return j; };
  auto lease = [](long long ms) { json j = base(); j["lifetime"] = {{"lease_ms", ms}}; return j; };
  auto match = [](json m) { json j = base(); j["match"] = m; return j; };
  return {
      {"device 15", dev(limits::kMaxDeviceName), ""},
      {"device 16", dev(limits::kMaxDeviceName + 1), "device"},
      {"cidr text too long", match({{"to", {std::string(limits::kMaxCidrText + 1, '1')}}}), "match.to[0]"},
      {"32 labels", labels(limits::kMaxLabels), ""},
      {"33 labels", labels(limits::kMaxLabels + 1), "labels"},
      {"label key 63", label(std::string(limits::kMaxLabelKey, 'k'), "v"), ""},
      {"label key 64", label(std::string(limits::kMaxLabelKey + 1, 'k'), "v"), "labels"},
      {"label value 255", label("k", std::string(limits::kMaxLabelValue, 'v')), ""},
      {"label value 256", label("k", std::string(limits::kMaxLabelValue + 1, 'v')), "labels.k"},
      {"label value control char", label("k", "a\nb"), "labels.k"},
      {"lease 100", lease(100), ""},
      {"lease 99", lease(99), "lifetime.lease_ms"},
      {"lease 1h", lease(3'600'000), ""},
      {"lease over 1h", lease(3'600'001), "lifetime.lease_ms"},
      {"delay 60s", with_impairments({{"delay", {{"time_us", 60'000'000}}}}), ""},
      {"delay over 60s", with_impairments({{"delay", {{"time_us", 60'000'001}}}}), "impairments.delay.time_us"},
      {"jitter over 60s", with_impairments({{"delay", {{"time_us", 1}, {"jitter_us", 60'000'001}}}}), "impairments.delay.jitter_us"},
      {"negative delay", with_impairments({{"delay", {{"time_us", -1}}}}), "impairments.delay.time_us"},
      {"loss 100", with_impairments({{"loss", {{"percent", 100}}}}), ""},
      {"loss 101", with_impairments({{"loss", {{"percent", 100.5}}}}), "impairments.loss.percent"},
      {"loss negative", with_impairments({{"loss", {{"percent", -1}}}}), "impairments.loss.percent"},
      {"duplicate correlation 101", with_impairments({{"duplicate", {{"percent", 1}, {"correlation_pct", 101}}}}),
       "impairments.duplicate.correlation_pct"},
      {"ge p 101", with_impairments({{"loss", {{"gilbert_elliott", {{"p_pct", 101}}}}}}), "impairments.loss.gilbert_elliott.p_pct"},
      {"rate 1kbit", with_impairments({{"bandwidth", {{"rate_bps", limits::kMinRateBps}}}}), ""},
      {"rate under 1kbit", with_impairments({{"bandwidth", {{"rate_bps", limits::kMinRateBps - 1}}}}), "impairments.bandwidth.rate_bps"},
      {"rate 100gbit", with_impairments({{"bandwidth", {{"rate_bps", limits::kMaxRateBps}}}}), ""},
      {"rate over 100gbit", with_impairments({{"bandwidth", {{"rate_bps", limits::kMaxRateBps + 1}}}}), "impairments.bandwidth.rate_bps"},
      {"burst over 64MiB", with_impairments({{"bandwidth", {{"rate_bps", 1'000'000}, {"burst_bytes", limits::kMaxBurstBytes + 1}}}}),
       "impairments.bandwidth.burst_bytes"},
      {"gap max", delayed({{"reorder", {{"percent", 5}, {"gap", limits::kMaxReorderGap}}}}), ""},
      {"gap over max", delayed({{"reorder", {{"percent", 5}, {"gap", limits::kMaxReorderGap + 1}}}}), "impairments.reorder.gap"},
      {"flap period 99ms", with_impairments({{"flap", {{"period_ms", 99}}}}), "impairments.flap.period_ms"},
      {"flap period over 1h", with_impairments({{"flap", {{"period_ms", 3'600'001}}}}), "impairments.flap.period_ms"},
      {"flap down 100", with_impairments({{"flap", {{"period_ms", 1000}, {"down_pct", 100}}}}), "impairments.flap.down_pct"},
      {"port 65535", match({{"to", {"10.0.0.0/8"}}, {"protocol", "tcp"}, {"dport", 65535}}), ""},
      {"port 65536", match({{"to", {"10.0.0.0/8"}}, {"protocol", "tcp"}, {"dport", 65536}}), "match.dport"},
      {"port range 70000", match({{"to", {"10.0.0.0/8"}}, {"protocol", "tcp"}, {"sport", "1-70000"}}), "match.sport"},
      {"port negative", match({{"to", {"10.0.0.0/8"}}, {"protocol", "udp"}, {"dport", -1}}), "match.dport"},
      {"unknown top-level", [] { json j = base(); j["devcie"] = "x"; return j; }(), "devcie"},
      {"unknown in match", match({{"to", {"10.0.0.0/8"}}, {"port", 1}}), "match.port"},
      {"unknown in lifetime", [] { json j = base(); j["lifetime"] = {{"lease", 1}}; return j; }(), "lifetime.lease"},
      {"unknown in cut", with_impairments({{"cut", {{"hard", true}}}}), "impairments.cut.hard"},
      {"unknown in delay", with_impairments({{"delay", {{"time_ms", 1}}}}), "impairments.delay.time_ms"},
      {"unknown in gilbert_elliott", with_impairments({{"loss", {{"gilbert_elliott", {{"q_pct", 1}}}}}}),
       "impairments.loss.gilbert_elliott.q_pct"},
  };
}

class InputLimit : public ::testing::TestWithParam<Case> {};

TEST_P(InputLimit, IsEnforcedNamingTheField) {
  EXPECT_EQ(refused_field(GetParam().body), GetParam().field) << GetParam().body.dump().substr(0, 300);
}

INSTANTIATE_TEST_SUITE_P(Limits, InputLimit, ::testing::ValuesIn(cases()), [](const auto& param_info) {
  std::string n = param_info.param.name;
  for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

// The longest form of a plain IPv6 CIDR: 43 characters.
std::string v6_target(std::size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "fd00:ffff:ffff:ffff:ffff:ffff:%04zx:%04zx/128", i >> 16, i & 0xffff);
  return buf;
}

TEST(InputLimits, TenThousandIpv6TargetsFitInOneFaultAndTheBody) {
  json j = base();
  j["match"]["to"] = json::array();
  for (std::size_t i = 0; i < 10'000; ++i) j["match"]["to"].push_back(v6_target(i));
  EXPECT_EQ(refused_field(j), "");
  EXPECT_LT(j.dump().size() * 4, limits::kMaxBodyBytes) << "10,000 targets must fit with a wide margin";
}

TEST(InputLimits, TheMostTargetsInBothListsFitTheBody) {
  json j = base();
  j["match"] = {{"to", json::array()}, {"from", json::array()}};
  for (std::size_t i = 0; i < limits::kMaxTargets; ++i) {
    j["match"]["to"].push_back(v6_target(i));
    j["match"]["from"].push_back(v6_target(i));
  }
  EXPECT_EQ(refused_field(j), "");
  EXPECT_LT(j.dump().size(), limits::kMaxBodyBytes);
  j["match"]["to"].push_back("fd01::/128");
  EXPECT_EQ(refused_field(j), "match.to");
}

TEST(InputLimits, ErrorMessagesQuoteOnlyTheStartOfAHugeValue) {
  json j = base();
  j["device"] = std::string(100'000, 'x');
  try {
    injector::validate(injector::fault_spec_from_json(j));
    FAIL() << "a 100,000-character device was taken";
  } catch (const injector::FieldError& e) {
    EXPECT_EQ(e.field(), "device");
    EXPECT_LT(e.message().size(), 200u) << e.message().substr(0, 300);
    EXPECT_NE(e.message().find("100000 bytes"), std::string::npos) << e.message().substr(0, 300);
  }
  json k = base();
  k[std::string(10'000, 'z')] = 1;
  try {
    injector::fault_spec_from_json(k);
    FAIL() << "an unknown field was taken";
  } catch (const injector::FieldError& e) {
    EXPECT_EQ(e.field(), std::string(limits::kMaxQuoted, 'z') + "...");
  }
}

// Found by fault_spec_decoder_fuzz: a long value with a two-byte character
// across the cut gave an error message with half a character, and the
// daemon's 400 answer could not be written.
TEST(InputLimits, AQuotedValueIsCutOnACharacterBoundary) {
  for (std::size_t pad = 56; pad < 68; ++pad) {  // every offset of a 2-, 3- and 4-byte character at the cut
    std::string value(pad, '@');
    for (int i = 0; i < 10; ++i) value += "\xC4\xBF\xE2\x82\xAC\xF0\x9F\x98\x80";
    const std::string q = injector::quote_input(value);
    EXPECT_NO_THROW((void)json(q).dump()) << "pad " << pad;
    EXPECT_NO_THROW((void)json(injector::printable(value)).dump()) << "pad " << pad;
    EXPECT_LE(q.size(), limits::kMaxQuoted + 30) << q;
  }
  json j = base();
  j["device"] = "eth" + std::string(61, '@') + "\xC4\xBF" + std::string(40, '@');
  try {
    injector::validate(injector::fault_spec_from_json(j));
    FAIL() << "a 106-byte device was taken";
  } catch (const injector::FieldError& e) {
    EXPECT_NO_THROW((void)json(e.message()).dump()) << e.message();
  }
}

}  // namespace
