// The apply answer's warning about a local side that names no address here.

#include "daemon/apply_warnings.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace injector {
namespace {

FaultSpec spec_with_local(std::vector<std::string> local, Direction d) {
  FaultSpec s;
  s.device = "eth0";
  for (const auto& c : local) s.match.from.push_back(Cidr::parse(c));
  s.direction = d;
  s.impairments.cut = CutImpairment{};
  return s;
}

const std::vector<Cidr> kHere = {Cidr::parse("127.0.0.1"), Cidr::parse("10.250.1.1"), Cidr::parse("fd50::1")};

// The case: on ingress, --from with the sender's address.
TEST(LocalSideWarnings, LocalSideWithNoAddressOfOursIsNamedWithTheFix) {
  const auto w = local_side_warnings(spec_with_local({"10.250.1.2/32"}, Direction::ingress), kHere);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].code, "local_matches_no_address");
  EXPECT_EQ(w[0].field, "match.local");
  EXPECT_NE(w[0].message.find("10.250.1.2/32"), std::string::npos) << w[0].message;
  EXPECT_NE(w[0].message.find("--peer"), std::string::npos) << w[0].message;
  EXPECT_NE(w[0].message.find("arrives"), std::string::npos) << w[0].message;
  EXPECT_EQ(local_side_warnings(spec_with_local({"fd50::2/128"}, Direction::egress), kHere).size(), 1u);
}

TEST(LocalSideWarnings, NoWarningWhenAnyLocalNetworkHoldsOneOfOurAddresses) {
  EXPECT_TRUE(local_side_warnings(spec_with_local({"10.250.1.1/32"}, Direction::ingress), kHere).empty());
  EXPECT_TRUE(local_side_warnings(spec_with_local({"10.9.0.0/16", "10.250.0.0/16"}, Direction::both), kHere).empty());
  EXPECT_TRUE(local_side_warnings(spec_with_local({"fd50::/64"}, Direction::egress), kHere).empty());
  EXPECT_TRUE(local_side_warnings(spec_with_local({}, Direction::ingress), kHere).empty()) << "no local side: a wildcard";
  // The same network in the other family is not ours.
  EXPECT_EQ(local_side_warnings(spec_with_local({"fd51::/64"}, Direction::egress), kHere).size(), 1u);
}

TEST(LocalSideWarnings, HostAddressesListsLoopback) {
  const auto here = host_addresses();
  EXPECT_NE(std::find(here.begin(), here.end(), Cidr::parse("127.0.0.1")), here.end());
}

}  // namespace
}  // namespace injector
