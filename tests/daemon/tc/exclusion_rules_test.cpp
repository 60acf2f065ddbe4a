#include "daemon/tc/exclusion_rules.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace {

using injector::Direction;
using injector::Family;
using injector::parse_exclusion;
using injector::tc::U32Key;
using injector::tc::exclusion_rules;

bool has_key(const injector::tc::U32Rule& r, U32Key k) {
  for (const auto& key : r.keys) {
    if (key == k) return true;
  }
  return false;
}

// Offsets from the IP header: IPv4 addresses at 12 (source) / 16 (destination), ports at 20.
TEST(ExclusionRules, EgressTestsSourcePortAndDestinationPeer) {
  const auto rules = exclusion_rules({parse_exclusion("tcp:22@10.1.0.0/16")}, Direction::egress);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].family, Family::v4);
  EXPECT_TRUE(has_key(rules[0], {htonl(0x0a010000u), htonl(0xffff0000u), 16}));        // daddr 10.1/16
  EXPECT_TRUE(has_key(rules[0], {htonl(22u << 16), htonl(0xffff0000u), 20}));          // sport 22
  EXPECT_TRUE(has_key(rules[0], {htonl(6u << 16), htonl(0x00ff0000u), 8}));            // tcp
}

TEST(ExclusionRules, IngressTestsDestinationPortAndSourcePeer) {
  const auto rules = exclusion_rules({parse_exclusion("tcp:22@10.1.0.0/16")}, Direction::ingress);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_TRUE(has_key(rules[0], {htonl(0x0a010000u), htonl(0xffff0000u), 12}));  // saddr 10.1/16
  EXPECT_TRUE(has_key(rules[0], {htonl(22u), htonl(0x0000ffffu), 20}));          // dport 22
}

TEST(ExclusionRules, APortWithoutPeerCoversBothFamiliesAndAPeerOnlyItsOwn) {
  const auto port = exclusion_rules({parse_exclusion("tcp:7443")}, Direction::egress);
  ASSERT_EQ(port.size(), 2u);
  EXPECT_EQ(port[0].family, Family::v4);
  EXPECT_EQ(port[1].family, Family::v6);
  const auto peer = exclusion_rules({parse_exclusion("fd00::/64")}, Direction::egress);
  ASSERT_EQ(peer.size(), 1u);
  EXPECT_EQ(peer[0].family, Family::v6);
  EXPECT_TRUE(exclusion_rules({}, Direction::egress).empty());
}

}  // namespace
