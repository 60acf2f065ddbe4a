#include "common/fault_json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/field_error.h"

namespace {

using injector::Cidr;
using injector::CutImpairment;
using injector::Direction;
using injector::FaultSpec;
using injector::FieldError;
using injector::Protocol;
using nlohmann::json;
using namespace std::chrono_literals;

json valid_body() {
  return json::parse(R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}}})");
}

FaultSpec valid_spec() {
  FaultSpec s;
  s.device = "eth0";
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.impairments.cut = CutImpairment{};
  return s;
}

// The field a decoding error names, or "(no error)".
std::string decode_error_field(const json& j) {
  try {
    injector::fault_spec_from_json(j);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "(no error)";
}

std::string validate_error_field(const FaultSpec& s) {
  try {
    injector::validate(s);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "(no error)";
}

json with(json j, const json::json_pointer& at, const json& value) {
  j[at] = value;
  return j;
}

TEST(FaultJson, MinimalBodyDecodes) {
  const FaultSpec s = injector::fault_spec_from_json(valid_body());
  EXPECT_EQ(s, valid_spec());
  EXPECT_EQ(s.direction, Direction::egress);
  EXPECT_EQ(s.match.protocol, Protocol::any);
  EXPECT_EQ(s.lifetime.duration, 0ms);
  EXPECT_NO_THROW(injector::validate(s));
}

TEST(FaultJson, RoundTrip) {
  FaultSpec s = valid_spec();
  s.match.to = {Cidr::parse("10.0.0.0/8"), Cidr::parse("fd77:0:2::/64"), Cidr::parse("192.168.1.1")};
  s.match.from = {Cidr::parse("172.16.0.0/12")};
  s.match.protocol = Protocol::udp;
  s.lifetime.duration = 90s;
  s.labels = {{"drill", "game-day"}, {"team", "net"}};
  const json j = injector::to_json(s);
  EXPECT_EQ(j["match"]["peer"][1], "fd77:0:2::/64");
  EXPECT_EQ(j["match"]["peer"][2], "192.168.1.1/32");
  EXPECT_EQ(j["match"]["local"][0], "172.16.0.0/12");
  EXPECT_FALSE(j["match"].contains("to")) << "answers use the names that say which side";
  EXPECT_EQ(j["lifetime"]["duration_ms"], 90000);
  EXPECT_EQ(j["impairments"], json::parse(R"({"cut": {}})"));
  EXPECT_EQ(j["direction"], "egress");
  EXPECT_EQ(injector::fault_spec_from_json(j), s);
  EXPECT_EQ(injector::fault_spec_from_json(json::parse(j.dump())), s);
  // Ports too, although validate() refuses them for now.
  s.match.dport = injector::PortRange{443, 443};
  EXPECT_EQ(injector::fault_spec_from_json(injector::to_json(s)), s);
}

// What a CLI sends names the sides `to`/`from`, which daemons from before
// `peer`/`local` also read (they refuse unknown fields), and decodes to the
// same spec: mixed versions in a fleet keep working during an upgrade.
TEST(FaultJson, ARequestUsesTheNamesEveryV1DaemonReads) {
  FaultSpec s = valid_spec();
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.match.from = {Cidr::parse("172.16.0.0/12")};
  s.direction = Direction::ingress;
  const json j = injector::to_request_json(s);
  EXPECT_EQ(j["match"]["to"][0], "10.0.0.0/8");
  EXPECT_EQ(j["match"]["from"][0], "172.16.0.0/12");
  EXPECT_FALSE(j["match"].contains("peer"));
  EXPECT_FALSE(j["match"].contains("local"));
  EXPECT_EQ(injector::fault_spec_from_json(j), s);
  EXPECT_EQ(injector::fault_spec_from_json(json::parse(j.dump())), s);
}

// peer/local name the sides; to/from are v1's spellings of the same sides, so
// journals and scripts written before keep their meaning.
TEST(FaultJson, PeerAndLocalAreToAndFromUnderTheirNames) {
  const json old_names = json::parse(R"({"device": "eth0", "match": {"to": ["10.1.0.0/16"], "from": ["10.2.0.0/16"]},
                                        "direction": "ingress", "impairments": {"cut": {}}})");
  json new_names = old_names;
  new_names["match"] = {{"peer", {"10.1.0.0/16"}}, {"local", {"10.2.0.0/16"}}};
  const FaultSpec a = injector::fault_spec_from_json(old_names);
  EXPECT_EQ(a, injector::fault_spec_from_json(new_names));
  EXPECT_EQ(a.match.to, std::vector<Cidr>{Cidr::parse("10.1.0.0/16")});
  EXPECT_EQ(a.match.from, std::vector<Cidr>{Cidr::parse("10.2.0.0/16")});
  // Errors name the key the client sent.
  EXPECT_EQ(decode_error_field(with(new_names, "/match/peer/0"_json_pointer, "10.1.0.300")), "match.peer[0]");
  EXPECT_EQ(decode_error_field(with(new_names, "/match/local"_json_pointer, "x")), "match.local");
  // Both names of one side: which list was meant cannot be guessed.
  EXPECT_EQ(decode_error_field(with(new_names, "/match/to"_json_pointer, {"10.3.0.0/16"})), "match.to");
  EXPECT_EQ(decode_error_field(with(new_names, "/match/from"_json_pointer, {"10.3.0.0/16"})), "match.from");
}

TEST(FaultJson, UnknownTopLevelFieldRejected) {
  const json j = with(valid_body(), "/lifetme"_json_pointer, {{"duration_ms", 1000}});
  EXPECT_EQ(decode_error_field(j), "lifetme");
  try {
    injector::fault_spec_from_json(j);
  } catch (const FieldError& e) {
    EXPECT_EQ(e.message(), "unknown field");
    EXPECT_NE(e.allowed().find("lifetime"), std::string::npos) << e.allowed();
  }
}

TEST(FaultJson, UnknownNestedFieldsRejected) {
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/x"_json_pointer, 1)), "match.x");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/impairments/delay"_json_pointer, {{"ms", 5}})),
            "impairments.delay.ms");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/impairments/teleport"_json_pointer, json::object())),
            "impairments.teleport");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/lifetime"_json_pointer, {{"x", 1}})), "lifetime.x");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/impairments/cut/loss"_json_pointer, 1)), "impairments.cut.loss");
}

TEST(FaultJson, WrongTypesRejected) {
  EXPECT_EQ(decode_error_field(json::array()), "body");
  EXPECT_EQ(decode_error_field("a string"), "body");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/device"_json_pointer, 5)), "device");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match"_json_pointer, "10.0.0.0/8")), "match");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/to"_json_pointer, "10.0.0.0/8")), "match.to");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/from"_json_pointer, {{"a", 1}})), "match.from");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/to/0"_json_pointer, 10)), "match.to[0]");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/protocol"_json_pointer, 6)), "match.protocol");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/dport"_json_pointer, "eighty")), "match.dport");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/dport"_json_pointer, "80-")), "match.dport");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/dport"_json_pointer, 65536)), "match.dport");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/sport"_json_pointer, -1)), "match.sport");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/direction"_json_pointer, true)), "direction");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/impairments"_json_pointer, json::array())), "impairments");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/impairments/cut"_json_pointer, true)), "impairments.cut");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/lifetime"_json_pointer, 5)), "lifetime");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/lifetime/duration_ms"_json_pointer, "10s")),
            "lifetime.duration_ms");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/lifetime/duration_ms"_json_pointer, 1.5)), "lifetime.duration_ms");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/labels"_json_pointer, json::array({"a=b"}))), "labels");
}

TEST(FaultJson, BadValuesRejected) {
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/protocol"_json_pointer, "sctp")), "match.protocol");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/direction"_json_pointer, "sideways")), "direction");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/lifetime/duration_ms"_json_pointer, 18446744073709551615ull)),
            "lifetime.duration_ms");
}

TEST(FaultJson, EmptyEnumStringsRejected) {
  // "" is no more a direction or protocol than "sideways"; it must not silently mean the default.
  EXPECT_EQ(decode_error_field(with(valid_body(), "/direction"_json_pointer, "")), "direction");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/protocol"_json_pointer, "")), "match.protocol");
}

TEST(FaultJson, BadCidrNamesItsIndex) {
  const json j = with(valid_body(), "/match/to"_json_pointer, {"10.0.0.0/8", "fd00::/64", "10.0.0.1/8"});
  try {
    injector::fault_spec_from_json(j);
    FAIL() << "bad CIDR accepted";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "match.to[2]");
    EXPECT_NE(e.message().find("10.0.0.1/8"), std::string::npos) << e.message();
    EXPECT_FALSE(e.allowed().empty());
  }
  EXPECT_EQ(decode_error_field(with(valid_body(), "/match/from"_json_pointer, json::array({"x"}))), "match.from[0]");
}

TEST(FaultJson, RequiredFieldsMissing) {
  json j = valid_body();
  j.erase("device");
  EXPECT_EQ(decode_error_field(j), "device");
  j = valid_body();
  j.erase("match");
  EXPECT_EQ(decode_error_field(j), "match");
  j = valid_body();
  j.erase("impairments");
  EXPECT_EQ(decode_error_field(j), "impairments");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/device"_json_pointer, nullptr)), "device");
}

TEST(FaultJson, NegativeDurationRejected) {
  const json j = with(valid_body(), "/lifetime/duration_ms"_json_pointer, -1);
  try {
    injector::fault_spec_from_json(j);
    FAIL() << "negative lifetime accepted";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "lifetime.duration_ms");
    EXPECT_NE(e.message().find("negative"), std::string::npos) << e.message();
  }
}

TEST(FaultJson, LabelsMustBeStrings) {
  EXPECT_EQ(decode_error_field(with(valid_body(), "/labels"_json_pointer, {{"team", 5}})), "labels.team");
  EXPECT_EQ(decode_error_field(with(valid_body(), "/labels"_json_pointer, {{"ok", "x"}, {"n", nullptr}})), "labels.n");
  const auto s = injector::fault_spec_from_json(with(valid_body(), "/labels"_json_pointer, {{"team", "net"}}));
  EXPECT_EQ(s.labels.at("team"), "net");
}

TEST(Validate, EmptyTargetsRejected) {
  FaultSpec s = valid_spec();
  s.match.to.clear();
  EXPECT_EQ(validate_error_field(s), "match.to");
  s.match.from = {Cidr::parse("10.0.0.0/8")};  // from alone is enough
  EXPECT_EQ(validate_error_field(s), "(no error)");
}

TEST(Validate, PortsRejected) {
  FaultSpec s = valid_spec();
  s.match.dport = injector::PortRange{80, 80};
  EXPECT_EQ(validate_error_field(s), "match.dport");
  s.match.dport.reset();
  s.match.sport = injector::PortRange{80, 80};
  EXPECT_EQ(validate_error_field(s), "match.sport");
}

TEST(Validate, EveryDirectionIsValid) {
  FaultSpec s = valid_spec();
  for (Direction d : {Direction::egress, Direction::ingress, Direction::both}) {
    s.direction = d;
    EXPECT_EQ(validate_error_field(s), "(no error)") << to_string(d);
  }
}

TEST(Validate, NoImpairmentRejected) {
  FaultSpec s = valid_spec();
  s.impairments.cut.reset();
  EXPECT_EQ(validate_error_field(s), "impairments");
}

TEST(Validate, DeviceNames) {
  FaultSpec s = valid_spec();
  for (const std::string& good : std::vector<std::string>{"eth0", "a", "veth-lab.1", "br_x@y", std::string(15, 'x')}) {
    s.device = good;
    EXPECT_EQ(validate_error_field(s), "(no error)") << good;
  }
  for (const std::string& bad : std::vector<std::string>{"", std::string(16, 'x'), "a/b", "a:b", "a b", "a\tb", ".", "..",
                                std::string("e\x01th"), std::string("eth\x7f")}) {
    s.device = bad;
    EXPECT_EQ(validate_error_field(s), "device") << "'" << bad << "'";
  }
}

TEST(Validate, LabelLimits) {
  FaultSpec s = valid_spec();
  s.labels = {{std::string(63, 'k'), std::string(255, 'v')}, {"a-b_c.d/e", ""}};
  EXPECT_EQ(validate_error_field(s), "(no error)");
  s.labels = {{std::string(64, 'k'), "v"}};
  EXPECT_EQ(validate_error_field(s), "labels");
  s.labels = {{"", "v"}};
  EXPECT_EQ(validate_error_field(s), "labels");
  s.labels = {{"bad key", "v"}};
  EXPECT_EQ(validate_error_field(s), "labels");
  s.labels = {{"team", std::string(256, 'v')}};
  EXPECT_EQ(validate_error_field(s), "labels.team");
  s.labels = {{"team", "line\nbreak"}};
  EXPECT_EQ(validate_error_field(s), "labels.team");
  s.labels.clear();
  for (int i = 0; i < 32; ++i) s.labels["k" + std::to_string(i)] = "v";
  EXPECT_EQ(validate_error_field(s), "(no error)");
  s.labels["k32"] = "v";
  EXPECT_EQ(validate_error_field(s), "labels");
}

TEST(Validate, TenThousandTargetsAccepted) {
  json j = valid_body();
  json to = json::array();
  for (int i = 0; i < 10'000; ++i) to.push_back("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24");
  j["match"]["to"] = to;
  const FaultSpec s = injector::fault_spec_from_json(j);
  ASSERT_EQ(s.match.to.size(), 10'000u);
  EXPECT_EQ(s.match.to.back(), Cidr::parse("10.39.15.0/24"));
  EXPECT_NO_THROW(injector::validate(s));
}

TEST(Validate, TooManyTargetsRejected) {
  FaultSpec s = valid_spec();
  s.match.to.assign(injector::SpecLimits::kMaxTargets + 1, Cidr::parse("10.0.0.0/8"));
  EXPECT_EQ(validate_error_field(s), "match.to");
}

TEST(ParseLabel, KeyValue) {
  EXPECT_EQ(injector::parse_label("drill=game-day"), std::make_pair(std::string("drill"), std::string("game-day")));
  EXPECT_EQ(injector::parse_label("a=b=c").second, "b=c");
  EXPECT_EQ(injector::parse_label("k=").second, "");
  EXPECT_THROW(injector::parse_label("novalue"), FieldError);
  EXPECT_THROW(injector::parse_label("=v"), FieldError);
}

TEST(ErrorJson, Shape) {
  const json full = injector::error_json("invalid_field", "bad", "match.to[0]", "a CIDR");
  EXPECT_EQ(full, json::parse(
                      R"({"error": {"code": "invalid_field", "message": "bad", "field": "match.to[0]", "allowed": "a CIDR"}})"));
  const json bare = injector::error_json("not_found", "no such fault");
  EXPECT_EQ(bare, json::parse(R"({"error": {"code": "not_found", "message": "no such fault"}})"));
  const FieldError e("labels.team", "label value is not valid", "0-255 printable ASCII characters");
  EXPECT_EQ(injector::error_json("invalid_field", e)["error"],
            json::parse(R"({"code": "invalid_field", "message": "label value is not valid", "field": "labels.team",
                            "allowed": "0-255 printable ASCII characters"})"));
  EXPECT_FALSE(injector::error_json("x", FieldError("device", "m"))["error"].contains("allowed"));
}

TEST(FieldErrorType, NestedUnder) {
  const FieldError e("to[2]", "bad", "CIDR");
  EXPECT_EQ(e.nested_under("match").field(), "match.to[2]");
  EXPECT_EQ(FieldError("[3]", "bad").nested_under("match.to").field(), "match.to[3]");
  EXPECT_EQ(FieldError("", "bad").nested_under("body").field(), "body");
  EXPECT_STREQ(e.what(), "to[2]: bad (allowed: CIDR)");
}

}  // namespace

TEST(FaultJson, BackendRoundTripsAndUnknownOnesNameTheField) {
  FaultSpec s = valid_spec();
  EXPECT_EQ(injector::to_json(s)["backend"], "auto");
  s.backend = injector::Backend::delayline;
  EXPECT_EQ(injector::to_json(s)["backend"], "delayline");
  EXPECT_EQ(injector::fault_spec_from_json(injector::to_json(s)), s);
  const json bad = with(valid_body(), "/backend"_json_pointer, "ebpf");
  EXPECT_EQ(decode_error_field(bad), "backend");
  try {
    injector::fault_spec_from_json(bad);
  } catch (const FieldError& e) {
    EXPECT_EQ(e.allowed(), "auto, netem, delayline");
  }
}
