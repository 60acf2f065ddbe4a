#include "daemon/tc/u32_keys.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/field_error.h"

namespace {

using injector::Cidr;
using injector::Family;
using injector::FieldError;
using injector::Match;
using injector::PortRange;
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

TEST(U32Rules, NeighbourDiscoveryCoversTypes133To137) {
  const auto rules = tc::neighbour_discovery_rules();
  // Brute force: which ICMPv6 types would the rules steer past a fault?
  for (std::uint32_t type = 0; type < 256; ++type) {
    bool matched = false;
    for (const auto& r : rules) {
      EXPECT_EQ(r.family, Family::v6);
      ASSERT_EQ(r.keys.size(), 2u);
      EXPECT_EQ(r.keys[0], key(58u << 8, 0x0000ff00, 4)) << "next header ICMPv6";
      EXPECT_EQ(r.keys[1].offset, 40);
      matched |= ((htonl(type << 24) ^ r.keys[1].value) & r.keys[1].mask) == 0;
    }
    const bool nd = type >= 133 && type <= 137;
    if (nd) {
      EXPECT_TRUE(matched) << "type " << type;
    } else if (type != 132) {  // 132 (MLD done) may ride along
      EXPECT_FALSE(matched) << "type " << type;
    }
  }
}

using Blocks = std::vector<std::pair<std::uint16_t, std::uint16_t>>;

const U32Key kV4NoOptions = key(0x05000000, 0x0f000000, 0);
const U32Key kV4FirstFragment = key(0, 0x00001fff, 4);

TEST(PortBlocks, SinglePortIsOneExactBlock) {
  EXPECT_EQ(tc::port_blocks({443, 443}), (Blocks{{443, 0xffff}}));
  EXPECT_EQ(tc::port_blocks({0, 0}), (Blocks{{0, 0xffff}}));
  EXPECT_EQ(tc::port_blocks({65535, 65535}), (Blocks{{65535, 0xffff}}));
}

TEST(PortBlocks, WholeRangeIsOneWildcardBlock) {
  EXPECT_EQ(tc::port_blocks({0, 65535}), (Blocks{{0, 0}}));
}

TEST(PortBlocks, AlignedRangesAreOneBlock) {
  EXPECT_EQ(tc::port_blocks({1024, 2047}), (Blocks{{1024, 0xfc00}}));
  EXPECT_EQ(tc::port_blocks({32768, 65535}), (Blocks{{32768, 0x8000}}));
  EXPECT_EQ(tc::port_blocks({0, 1023}), (Blocks{{0, 0xfc00}}));
}

TEST(PortBlocks, ThousandToNineteenNinetyNine) {
  // Block starts and sizes: 1000+8, 1008+16, 1024+512, 1536+256, 1792+128, 1920+64, 1984+16.
  EXPECT_EQ(tc::port_blocks({1000, 1999}),
            (Blocks{{1000, 0xfff8}, {1008, 0xfff0}, {1024, 0xfe00}, {1536, 0xff00}, {1792, 0xff80}, {1920, 0xffc0},
                    {1984, 0xfff0}}));
}

TEST(PortBlocks, FirstAfterLastIsEmpty) { EXPECT_TRUE(tc::port_blocks({10, 9}).empty()); }

TEST(PortBlocks, ExactCoverByBruteForce) {
  const std::vector<PortRange> ranges = {{0, 0},       {65535, 65535}, {1, 65534},   {1024, 65535}, {0, 65535},
                                         {1000, 1999}, {443, 443},     {0, 1},       {65534, 65535}, {1, 1},
                                         {0, 65534},   {1, 65535},     {8000, 8100}, {12345, 54321}, {32767, 32768}};
  for (const PortRange r : ranges) {
    const Blocks blocks = tc::port_blocks(r);
    EXPECT_LE(blocks.size(), 30u);  // at most 2 * 16 - 2 blocks for any 16-bit range
    std::size_t matched = 0;
    for (std::uint32_t p = 0; p <= 65535; ++p) {
      int hits = 0;
      for (const auto& [value, mask] : blocks) {
        EXPECT_EQ(value & ~mask & 0xffff, 0) << "host bits set in block " << value << "/" << mask;
        if ((p & mask) == value) ++hits;
      }
      const bool in_range = p >= r.first && p <= r.last;
      ASSERT_EQ(hits, in_range ? 1 : 0) << "port " << p << " in " << r.first << "-" << r.last;
      matched += static_cast<std::size_t>(hits);
    }
    EXPECT_EQ(matched, std::size_t{r.last} - r.first + 1u);
  }
}

TEST(PortBlocks, Minimal) {
  // The greedy split is the minimal one; a few known counts pin it.
  EXPECT_EQ(tc::port_blocks({1, 65534}).size(), 30u);
  EXPECT_EQ(tc::port_blocks({1024, 65535}).size(), 6u);  // 1024/10, 2048/11, ... 32768/15
  EXPECT_EQ(tc::port_blocks({1, 65535}).size(), 16u);
  EXPECT_EQ(tc::port_blocks({8000, 8100}).size(), 4u);  // 8000+64, 8064+32, 8096+4, 8100+1
}

TEST(PortKeys, IPv4DestinationPort) {
  EXPECT_EQ(tc::port_keys(Family::v4, 443, 0xffff, true),
            (std::vector<U32Key>{kV4NoOptions, kV4FirstFragment, key(443, 0x0000ffff, 20)}));
}

TEST(PortKeys, IPv4SourcePortIsHighHalf) {
  EXPECT_EQ(tc::port_keys(Family::v4, 1024, 0xfc00, false),
            (std::vector<U32Key>{kV4NoOptions, kV4FirstFragment, key(1024u << 16, 0xfc000000, 20)}));
}

TEST(PortKeys, IPv6AtFixedPayloadOffset) {
  EXPECT_EQ(tc::port_keys(Family::v6, 443, 0xffff, true), std::vector<U32Key>{key(443, 0x0000ffff, 40)});
  EXPECT_EQ(tc::port_keys(Family::v6, 53, 0xffff, false), std::vector<U32Key>{key(53u << 16, 0xffff0000, 40)});
}

TEST(PortKeys, ByteOrderOnTheWire) {
  // dport 443 = 0x01bb: bytes 2 and 3 of the transport header are 0x01, 0xbb.
  const U32Key k = tc::port_keys(Family::v6, 443, 0xffff, true).at(0);
  const auto* v = reinterpret_cast<const unsigned char*>(&k.value);
  EXPECT_EQ(v[0], 0);
  EXPECT_EQ(v[1], 0);
  EXPECT_EQ(v[2], 0x01);
  EXPECT_EQ(v[3], 0xbb);
  const U32Key ihl = tc::port_keys(Family::v4, 443, 0xffff, true).at(0);
  EXPECT_EQ(reinterpret_cast<const unsigned char*>(&ihl.mask)[0], 0x0f);
  EXPECT_EQ(reinterpret_cast<const unsigned char*>(&ihl.value)[0], 0x05);
}

TEST(U32Rules, TcpDport443V4) {
  Match m;
  m.to = cidrs({"10.0.0.0/8"});
  m.protocol = Protocol::tcp;
  m.dport = PortRange{443, 443};
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].family, Family::v4);
  EXPECT_EQ(rules[0].keys, (std::vector<U32Key>{key(6u << 16, 0x00ff0000, 8), key(0x0a000000, 0xff000000, 16),
                                                kV4NoOptions, kV4FirstFragment, key(443, 0x0000ffff, 20)}));
}

TEST(U32Rules, UdpDport53V6) {
  Match m;
  m.to = cidrs({"fd00::/64"});
  m.protocol = Protocol::udp;
  m.dport = PortRange{53, 53};
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].family, Family::v6);
  EXPECT_EQ(rules[0].keys, (std::vector<U32Key>{key(17u << 8, 0x0000ff00, 4), key(0xfd000000, 0xffffffff, 24),
                                                key(0, 0xffffffff, 28), key(53, 0x0000ffff, 40)}));
}

TEST(U32Rules, SportOnlyUsesHighHalf) {
  Match m;
  m.from = cidrs({"10.1.2.3"});
  m.protocol = Protocol::tcp;
  m.sport = PortRange{5432, 5432};
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].keys.back(), key(5432u << 16, 0xffff0000, 20));
}

TEST(U32Rules, BothPortsCombineIntoOneKey) {
  Match m;
  m.to = cidrs({"10.0.0.0/8", "fd00::/8"});
  m.protocol = Protocol::tcp;
  m.dport = PortRange{443, 443};
  m.sport = PortRange{1024, 2047};
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].keys, (std::vector<U32Key>{key(6u << 16, 0x00ff0000, 8), key(0x0a000000, 0xff000000, 16),
                                                kV4NoOptions, kV4FirstFragment,
                                                key((1024u << 16) | 443, 0xfc00ffff, 20)}));
  EXPECT_EQ(rules[1].keys, (std::vector<U32Key>{key(6u << 8, 0x0000ff00, 4), key(0xfd000000, 0xff000000, 24),
                                                key((1024u << 16) | 443, 0xfc00ffff, 40)}));
}

TEST(U32Rules, PortRangeRuleCounts) {
  Match m;
  m.to = cidrs({"10.0.0.0/8", "192.168.0.0/16", "fd00::/64"});
  m.from = cidrs({"172.16.0.0/12", "fd01::/64"});
  m.protocol = Protocol::udp;
  m.dport = PortRange{1000, 1999};  // 7 blocks
  EXPECT_EQ(tc::rules_for_match(m).size(), (2u + 1u) * 7u);
  m.sport = PortRange{1, 65534};  // 30 blocks
  EXPECT_EQ(tc::rules_for_match(m).size(), (2u + 1u) * 7u * 30u);
  m.dport = PortRange{0, 65535};  // one wildcard block: still keyed, but no extra rules
  EXPECT_EQ(tc::rules_for_match(m).size(), (2u + 1u) * 30u);
}

TEST(U32Rules, EveryPortRuleIsDistinctAndOrdered) {
  Match m;
  m.to = cidrs({"10.0.0.0/8"});
  m.protocol = Protocol::tcp;
  m.dport = PortRange{1000, 1999};
  const auto rules = tc::rules_for_match(m);
  const auto blocks = tc::port_blocks({1000, 1999});
  ASSERT_EQ(rules.size(), blocks.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    EXPECT_EQ(rules[i].keys.back(), key(blocks[i].first, blocks[i].second, 20));
  }
}

TEST(U32Rules, PortBlocksCountTowardsMaxRules) {
  Match m;
  for (int i = 0; i < 100; ++i) {
    m.to.push_back(Cidr::parse("10.0." + std::to_string(i) + ".0/24"));
    m.from.push_back(Cidr::parse("192.168." + std::to_string(i) + ".0/24"));
  }
  m.protocol = Protocol::tcp;
  m.dport = PortRange{443, 443};
  EXPECT_EQ(tc::rules_for_match(m).size(), 10'000u);
  m.dport = PortRange{1000, 1999};  // 7 blocks: 70,000 > kMaxRules
  try {
    tc::rules_for_match(m);
    FAIL() << "port blocks not counted towards kMaxRules";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "match");
  }
}

TEST(U32Rules, PortsWithoutTcpOrUdpIsFieldError) {
  Match m;
  m.to = cidrs({"10.0.0.0/8"});
  m.dport = PortRange{443, 443};
  EXPECT_THROW(tc::rules_for_match(m), FieldError);
  m.protocol = Protocol::icmp;
  EXPECT_THROW(tc::rules_for_match(m), FieldError);
}

}  // namespace
