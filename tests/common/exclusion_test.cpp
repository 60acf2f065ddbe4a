#include "common/exclusion.h"

#include <gtest/gtest.h>

#include "common/fault_json.h"
#include "common/field_error.h"

namespace {

using injector::Cidr;
using injector::ControlPath;
using injector::Exclusion;
using injector::FieldError;
using injector::PortRange;
using injector::Protocol;
using injector::parse_exclusion;

TEST(Exclusion, ParsesEveryForm) {
  EXPECT_EQ(parse_exclusion("tcp:22"), (Exclusion{Protocol::tcp, std::nullopt, PortRange{22, 22}}));
  EXPECT_EQ(parse_exclusion("udp:53"), (Exclusion{Protocol::udp, std::nullopt, PortRange{53, 53}}));
  EXPECT_EQ(parse_exclusion("tcp:8000-8100"), (Exclusion{Protocol::tcp, std::nullopt, PortRange{8000, 8100}}));
  EXPECT_EQ(parse_exclusion("10.0.0.0/8"), (Exclusion{Protocol::any, Cidr::parse("10.0.0.0/8"), std::nullopt}));
  EXPECT_EQ(parse_exclusion("tcp:22@10.0.0.0/8"),
            (Exclusion{Protocol::tcp, Cidr::parse("10.0.0.0/8"), PortRange{22, 22}}));
  EXPECT_EQ(parse_exclusion("tcp@10.1.2.3"), (Exclusion{Protocol::tcp, Cidr::parse("10.1.2.3/32"), std::nullopt}));
  const Exclusion v6{Protocol::tcp, Cidr::parse("fd00::/64"), PortRange{22, 22}};
  EXPECT_EQ(parse_exclusion("tcp:22@fd00::/64"), v6);
  EXPECT_EQ(parse_exclusion("tcp:22@[fd00::/64]"), v6);
  EXPECT_EQ(parse_exclusion("tcp:22@[fd00::]/64"), v6);
  EXPECT_EQ(parse_exclusion("[fd00::/64]"), (Exclusion{Protocol::any, Cidr::parse("fd00::/64"), std::nullopt}));
}

TEST(Exclusion, RefusesBadEntriesNamingTheFlag) {
  for (const char* bad : {"", "tcp", "tcp:", "tcp:99999", "tcp:22-10", "icmp:1", "sctp:22", "tcp:22@", "tcp:22@10.0.0.1/8",
                          "10.0.0.0/33", "[fd00::/64", "tcp:abc", "nonsense", "tcp:22@banana"}) {
    try {
      parse_exclusion(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const FieldError& e) {
      EXPECT_EQ(e.field(), "--management") << bad;
      EXPECT_FALSE(e.allowed().empty()) << bad;
    }
  }
}

TEST(Exclusion, DescribesItselfForFaultGet) {
  EXPECT_EQ(to_string(parse_exclusion("tcp:22")), "tcp local port 22");
  EXPECT_EQ(to_string(parse_exclusion("10.0.0.0/8")), "any protocol with 10.0.0.0/8");
  EXPECT_EQ(to_string(parse_exclusion("udp:53@fd00::/64")), "udp local port 53 with fd00::/64");
  EXPECT_EQ(injector::listen_exclusion(7443), parse_exclusion("tcp:7443"));
  const auto j = to_json(parse_exclusion("tcp:22@10.0.0.0/8"));
  EXPECT_EQ(j.at("protocol"), "tcp");
  EXPECT_EQ(j.at("local_port"), "22");
  EXPECT_EQ(j.at("peer"), "10.0.0.0/8");
}

TEST(Exclusion, IsAMatchOnTheLocalPortAndPeer) {
  const auto m = exclusion_match(parse_exclusion("tcp:22@10.0.0.0/8"));
  EXPECT_EQ(m.protocol, Protocol::tcp);
  EXPECT_EQ(m.to, std::vector<Cidr>{Cidr::parse("10.0.0.0/8")});
  EXPECT_TRUE(m.from.empty());
  EXPECT_EQ(m.sport, (PortRange{22, 22}));  // the local side is the fault's `from`/`sport`
  EXPECT_FALSE(m.dport.has_value());
}

TEST(ControlPathField, RoundTripsThroughJsonAndRefusesOtherValues) {
  nlohmann::json j = {{"device", "eth0"}, {"match", {{"to", {"10.0.0.0/8"}}}}, {"impairments", {{"cut", nlohmann::json::object()}}}};
  EXPECT_EQ(injector::fault_spec_from_json(j).control_path, ControlPath::exclude);
  j["control_path"] = "include";
  const auto spec = injector::fault_spec_from_json(j);
  EXPECT_EQ(spec.control_path, ControlPath::include);
  EXPECT_EQ(injector::to_json(spec).at("control_path"), "include");
  j["control_path"] = "maybe";
  try {
    injector::fault_spec_from_json(j);
    ADD_FAILURE() << "accepted control_path maybe";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "control_path");
  }
}

}  // namespace
