#include "daemon/tc/u32_keys.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/field_error.h"

namespace {

using injector::Cidr;
using injector::Family;
using injector::FieldError;
using injector::Match;
using injector::Protocol;
using injector::tc::U32Key;
using injector::tc::U32Rule;
namespace tc = injector::tc;

U32Key key(std::uint32_t host_value, std::uint32_t host_mask, int offset) {
  return {htonl(host_value), htonl(host_mask), offset};
}

std::vector<U32Key> dst(const char* cidr) { return tc::cidr_keys(Cidr::parse(cidr), true); }
std::vector<U32Key> src(const char* cidr) { return tc::cidr_keys(Cidr::parse(cidr), false); }

std::vector<Cidr> cidrs(std::initializer_list<const char*> list) {
  std::vector<Cidr> out;
  for (const char* c : list) out.push_back(Cidr::parse(c));
  return out;
}

TEST(U32Keys, IPv4Destination) {
  EXPECT_EQ(dst("10.1.2.0/24"), std::vector<U32Key>{key(0x0a010200, 0xffffff00, 16)});
  EXPECT_EQ(dst("10.1.2.3"), std::vector<U32Key>{key(0x0a010203, 0xffffffff, 16)});
  EXPECT_EQ(dst("10.0.0.0/8"), std::vector<U32Key>{key(0x0a000000, 0xff000000, 16)});
  EXPECT_EQ(dst("172.16.0.0/12"), std::vector<U32Key>{key(0xac100000, 0xfff00000, 16)});
  EXPECT_EQ(dst("128.0.0.0/1"), std::vector<U32Key>{key(0x80000000, 0x80000000, 16)});
}

TEST(U32Keys, ByteOrderOnTheWire) {
  // The first byte of the key in memory is the first byte of the address on the wire.
  const U32Key k = dst("10.1.2.0/24").at(0);
  const auto* v = reinterpret_cast<const unsigned char*>(&k.value);
  const auto* m = reinterpret_cast<const unsigned char*>(&k.mask);
  EXPECT_EQ(v[0], 10);
  EXPECT_EQ(v[1], 1);
  EXPECT_EQ(v[2], 2);
  EXPECT_EQ(v[3], 0);
  EXPECT_EQ(m[0], 0xff);
  EXPECT_EQ(m[3], 0x00);
}

TEST(U32Keys, IPv4Source) {
  EXPECT_EQ(src("10.1.2.0/24"), std::vector<U32Key>{key(0x0a010200, 0xffffff00, 12)});
}

TEST(U32Keys, ZeroPrefixIsOneAlwaysTrueKey) {
  EXPECT_EQ(dst("0.0.0.0/0"), std::vector<U32Key>{key(0, 0, 16)});
  EXPECT_EQ(src("0.0.0.0/0"), std::vector<U32Key>{key(0, 0, 12)});
  EXPECT_EQ(dst("::/0"), std::vector<U32Key>{key(0, 0, 24)});
  EXPECT_EQ(src("::/0"), std::vector<U32Key>{key(0, 0, 8)});
}

TEST(U32Keys, IPv6Slash64) {
  EXPECT_EQ(dst("fd77:1:2:3::/64"), (std::vector<U32Key>{key(0xfd770001, 0xffffffff, 24),
                                                         key(0x00020003, 0xffffffff, 28)}));
  EXPECT_EQ(src("fd77:1:2:3::/64"), (std::vector<U32Key>{key(0xfd770001, 0xffffffff, 8),
                                                         key(0x00020003, 0xffffffff, 12)}));
}

TEST(U32Keys, IPv6Slash128) {
  EXPECT_EQ(dst("2001:db8:a:b:c:d:e:f"),
            (std::vector<U32Key>{key(0x20010db8, 0xffffffff, 24), key(0x000a000b, 0xffffffff, 28),
                                 key(0x000c000d, 0xffffffff, 32), key(0x000e000f, 0xffffffff, 36)}));
}

TEST(U32Keys, IPv6PartialWord) {
  EXPECT_EQ(dst("fd00:0:1000::/36"),
            (std::vector<U32Key>{key(0xfd000000, 0xffffffff, 24), key(0x10000000, 0xf0000000, 28)}));
  EXPECT_EQ(dst("fd00::/8"), std::vector<U32Key>{key(0xfd000000, 0xff000000, 24)});
  EXPECT_EQ(dst("fd00::/32").size(), 1u);
  EXPECT_EQ(dst("fd00::/33").size(), 2u);
  EXPECT_EQ(dst("fd00::/96").size(), 3u);
  EXPECT_EQ(dst("fd00::/97").size(), 4u);
}

TEST(U32Keys, ProtocolKeys) {
  EXPECT_TRUE(tc::protocol_keys(Protocol::any, Family::v4).empty());
  EXPECT_TRUE(tc::protocol_keys(Protocol::any, Family::v6).empty());
  EXPECT_EQ(tc::protocol_keys(Protocol::tcp, Family::v4), std::vector<U32Key>{key(6u << 16, 0x00ff0000, 8)});
  EXPECT_EQ(tc::protocol_keys(Protocol::udp, Family::v4), std::vector<U32Key>{key(17u << 16, 0x00ff0000, 8)});
  EXPECT_EQ(tc::protocol_keys(Protocol::icmp, Family::v4), std::vector<U32Key>{key(1u << 16, 0x00ff0000, 8)});
  EXPECT_EQ(tc::protocol_keys(Protocol::tcp, Family::v6), std::vector<U32Key>{key(6u << 8, 0x0000ff00, 4)});
  EXPECT_EQ(tc::protocol_keys(Protocol::udp, Family::v6), std::vector<U32Key>{key(17u << 8, 0x0000ff00, 4)});
  EXPECT_EQ(tc::protocol_keys(Protocol::icmp, Family::v6), std::vector<U32Key>{key(58u << 8, 0x0000ff00, 4)});
}

TEST(U32Rules, CrossProductPerFamily) {
  Match m;
  m.to = cidrs({"10.0.0.0/8", "fd00::/64", "192.168.0.0/16"});
  m.from = cidrs({"172.16.0.0/12", "fd01::/64"});
  m.protocol = Protocol::tcp;
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 3u);  // 2 x 1 IPv4 + 1 x 1 IPv6
  EXPECT_EQ(rules[0].family, Family::v4);
  EXPECT_EQ(rules[0].keys, (std::vector<U32Key>{key(6u << 16, 0x00ff0000, 8), key(0x0a000000, 0xff000000, 16),
                                                key(0xac100000, 0xfff00000, 12)}));
  EXPECT_EQ(rules[1].family, Family::v4);
  EXPECT_EQ(rules[1].keys[1], key(0xc0a80000, 0xffff0000, 16));
  EXPECT_EQ(rules[1].keys[2], key(0xac100000, 0xfff00000, 12));
  EXPECT_EQ(rules[2].family, Family::v6);
  EXPECT_EQ(rules[2].keys, (std::vector<U32Key>{key(6u << 8, 0x0000ff00, 4), key(0xfd000000, 0xffffffff, 24),
                                                key(0, 0xffffffff, 28), key(0xfd010000, 0xffffffff, 8),
                                                key(0, 0xffffffff, 12)}));
}

TEST(U32Rules, FullCrossProduct) {
  Match m;
  m.to = cidrs({"10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16"});
  m.from = cidrs({"192.168.0.0/16", "172.16.0.0/12"});
  EXPECT_EQ(tc::rules_for_match(m).size(), 6u);
}

TEST(U32Rules, NoCommonFamilyIsFieldError) {
  Match m;
  m.to = cidrs({"10.0.0.0/8"});
  m.from = cidrs({"fd00::/64"});
  try {
    tc::rules_for_match(m);
    FAIL() << "v4-only to with v6-only from accepted";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "match");
  }
}

TEST(U32Rules, OneFamilySkippedWhenOtherListLacksIt) {
  Match m;
  m.to = cidrs({"10.0.0.0/8", "fd00::/64"});
  m.from = cidrs({"fd01::/64"});
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].family, Family::v6);
}

TEST(U32Rules, ToOnlyIsWildcardSourceInItsFamilies) {
  Match m;
  m.to = cidrs({"10.0.0.0/8"});
  auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 1u);  // no IPv6 rule: IPv6 traffic is not cut
  EXPECT_EQ(rules[0].family, Family::v4);
  EXPECT_EQ(rules[0].keys, std::vector<U32Key>{key(0x0a000000, 0xff000000, 16)});

  m.to = cidrs({"10.0.0.0/8", "fd00::/64"});
  rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].family, Family::v4);
  EXPECT_EQ(rules[1].family, Family::v6);
  EXPECT_EQ(rules[1].keys.size(), 2u);  // destination only
}

TEST(U32Rules, FromOnlyIsWildcardDestination) {
  Match m;
  m.from = cidrs({"fd00::/64"});
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].family, Family::v6);
  EXPECT_EQ(rules[0].keys[0].offset, 8);
}

TEST(U32Rules, TooManyRulesIsFieldError) {
  Match m;
  for (int i = 0; i < 300; ++i) {
    m.to.push_back(Cidr::parse("10.0." + std::to_string(i / 2) + "." + std::to_string((i % 2) * 128) + "/25"));
    m.from.push_back(Cidr::parse("192.168." + std::to_string(i / 2) + "." + std::to_string((i % 2) * 128) + "/25"));
  }
  EXPECT_THROW(tc::rules_for_match(m), FieldError);  // 90,000 > kMaxRules
  m.to.resize(200);
  m.from.resize(200);
  EXPECT_EQ(tc::rules_for_match(m).size(), 40'000u);
}

TEST(U32Rules, NeighbourDiscovery) {
  const auto rules = tc::neighbour_discovery_rules();
  ASSERT_EQ(rules.size(), 5u);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto type = static_cast<std::uint32_t>(133 + i);
    EXPECT_EQ(rules[i].family, Family::v6);
    EXPECT_EQ(rules[i].keys,
              (std::vector<U32Key>{key(58u << 8, 0x0000ff00, 4), key(type << 24, 0xff000000, 40)}))
        << "type " << type;
  }
}

}  // namespace
