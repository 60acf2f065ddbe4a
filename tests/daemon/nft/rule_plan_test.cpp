#include "daemon/nft/rule_plan.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "common/field_error.h"

namespace {

using injector::Cidr;
using injector::Direction;
using injector::Family;
using injector::FieldError;
using injector::Match;
using injector::PortRange;
using injector::Protocol;
using injector::nft::AddressRange;
using injector::nft::SetElement;
namespace nft = injector::nft;

std::vector<Cidr> cidrs(std::initializer_list<const char*> list) {
  std::vector<Cidr> out;
  for (const char* c : list) out.push_back(Cidr::parse(c));
  return out;
}

SetElement start(std::initializer_list<std::uint8_t> key) { return {key, false}; }
SetElement end(std::initializer_list<std::uint8_t> key) { return {key, true}; }

std::vector<SetElement> elements_of(std::initializer_list<const char*> list, Family f) {
  return nft::interval_elements(nft::merged_ranges(cidrs(list), f), f);
}

TEST(NftIntervals, OneNetworkHasLeadingZeroEndStartAndPastTheEnd) {
  EXPECT_EQ(elements_of({"10.1.2.0/24"}, Family::v4),
            (std::vector<SetElement>{end({0, 0, 0, 0}), start({10, 1, 2, 0}), end({10, 1, 3, 0})}));
  EXPECT_EQ(elements_of({"10.1.2.3"}, Family::v4),
            (std::vector<SetElement>{end({0, 0, 0, 0}), start({10, 1, 2, 3}), end({10, 1, 2, 4})}));
}

TEST(NftIntervals, EndCarriesAcrossBytes) {
  EXPECT_EQ(elements_of({"10.1.255.255"}, Family::v4),
            (std::vector<SetElement>{end({0, 0, 0, 0}), start({10, 1, 255, 255}), end({10, 2, 0, 0})}));
}

TEST(NftIntervals, RangeAtZeroHasNoLeadingEndAndRangeAtTopHasNoEnd) {
  EXPECT_EQ(elements_of({"0.0.0.0/8", "255.255.255.0/24"}, Family::v4),
            (std::vector<SetElement>{start({0, 0, 0, 0}), end({1, 0, 0, 0}), start({255, 255, 255, 0})}));
}

TEST(NftIntervals, OverlappingContainedAndAdjacentNetworksMerge) {
  // 10.0.0.0/24 + 10.0.1.0/24 are adjacent; 10.0.0.128/25 lies inside; 10.0.3.0/24 stays apart.
  const auto ranges = nft::merged_ranges(cidrs({"10.0.3.0/24", "10.0.1.0/24", "10.0.0.128/25", "10.0.0.0/24"}), Family::v4);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(elements_of({"10.0.3.0/24", "10.0.1.0/24", "10.0.0.128/25", "10.0.0.0/24"}, Family::v4),
            (std::vector<SetElement>{end({0, 0, 0, 0}), start({10, 0, 0, 0}), end({10, 0, 2, 0}), start({10, 0, 3, 0}),
                                     end({10, 0, 4, 0})}));
}

TEST(NftIntervals, BigNetworkSwallowsLaterSmallOnes) {
  EXPECT_EQ(elements_of({"10.0.0.0/8", "10.200.0.0/16", "11.0.0.0/8"}, Family::v4),
            (std::vector<SetElement>{end({0, 0, 0, 0}), start({10, 0, 0, 0}), end({12, 0, 0, 0})}));
}

TEST(NftIntervals, OnlyTheAskedFamilyIsUsed) {
  EXPECT_TRUE(nft::merged_ranges(cidrs({"fd00::/64"}), Family::v4).empty());
  const auto v6 = elements_of({"10.0.0.0/8", "fd31:2::/64"}, Family::v6);
  ASSERT_EQ(v6.size(), 3u);
  EXPECT_EQ(v6[0], SetElement(std::vector<std::uint8_t>(16, 0), true));
  EXPECT_EQ(v6[1].key, (std::vector<std::uint8_t>{0xfd, 0x31, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(v6[2], SetElement({0xfd, 0x31, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, true));
}

TEST(NftIntervals, TenThousandDisjointNetworksGiveTwiceAsManyElementsPlusOne) {
  std::vector<Cidr> many;
  for (int i = 0; i < 10'000; ++i) {
    // Every other /24 so none are adjacent (adjacent ones would merge).
    many.push_back(Cidr::parse("10." + std::to_string(i / 128) + "." + std::to_string(2 * (i % 128)) + ".0/24"));
  }
  const auto elements = nft::interval_elements(nft::merged_ranges(many, Family::v4), Family::v4);
  ASSERT_EQ(elements.size(), 20'001u);
  for (std::size_t i = 2; i < elements.size(); ++i) EXPECT_LT(elements[i - 1].key, elements[i].key) << i;
}

TEST(NftPlan, FamiliesFollowTheListsLikeTheTcPath) {
  Match v4_only{cidrs({"10.0.0.0/8"}), {}, Protocol::any, {}, {}};
  auto plan = nft::plan_queue_rules(v4_only);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].family, Family::v4);
  ASSERT_TRUE(plan[0].daddr.has_value());
  EXPECT_FALSE(plan[0].saddr.has_value());

  Match both{cidrs({"10.0.0.0/8", "fd00::/8"}), {}, Protocol::any, {}, {}};
  plan = nft::plan_queue_rules(both);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[1].family, Family::v6);

  // to IPv4, from IPv6: no family has both, nothing could match.
  Match split{cidrs({"10.0.0.0/8"}), cidrs({"fd00::/8"}), Protocol::any, {}, {}};
  EXPECT_THROW(nft::plan_queue_rules(split), FieldError);

  // from IPv6 only, to empty (wildcard): only the IPv6 table gets a rule.
  Match from_v6{{}, cidrs({"fd00::/8"}), Protocol::any, {}, {}};
  plan = nft::plan_queue_rules(from_v6);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].family, Family::v6);
  EXPECT_FALSE(plan[0].daddr.has_value());
  EXPECT_TRUE(plan[0].saddr.has_value());
}

TEST(NftPlan, WholeFamilyNeedsNoSet) {
  Match all{cidrs({"0.0.0.0/0"}), {}, Protocol::any, {}, {}};
  const auto plan = nft::plan_queue_rules(all);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].family, Family::v4);
  EXPECT_FALSE(plan[0].daddr.has_value());
  // Two halves that together cover everything merge into the whole family too.
  Match halves{cidrs({"::/1", "8000::/1"}), {}, Protocol::any, {}, {}};
  EXPECT_FALSE(nft::plan_queue_rules(halves)[0].daddr.has_value());
}

TEST(NftPlan, ProtocolPerFamily) {
  Match icmp{cidrs({"10.0.0.0/8", "fd00::/8"}), {}, Protocol::icmp, {}, {}};
  const auto plan = nft::plan_queue_rules(icmp);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].l4proto, std::optional<std::uint8_t>(IPPROTO_ICMP));
  EXPECT_EQ(plan[1].l4proto, std::optional<std::uint8_t>(IPPROTO_ICMPV6));
  Match any{cidrs({"10.0.0.0/8"}), {}, Protocol::any, {}, {}};
  EXPECT_FALSE(nft::plan_queue_rules(any)[0].l4proto.has_value());
  Match udp{cidrs({"10.0.0.0/8"}), {}, Protocol::udp, {}, {}};
  EXPECT_EQ(nft::plan_queue_rules(udp)[0].l4proto, std::optional<std::uint8_t>(IPPROTO_UDP));
}

TEST(NftPlan, Ports) {
  Match m{cidrs({"10.0.0.0/8"}), {}, Protocol::tcp, PortRange{8000, 8100}, PortRange{443, 443}};
  auto plan = nft::plan_queue_rules(m);
  EXPECT_EQ(plan[0].dport, (PortRange{8000, 8100}));
  EXPECT_EQ(plan[0].sport, (PortRange{443, 443}));
  m.dport = PortRange{0, 65535};  // every port: no test at all
  EXPECT_FALSE(nft::plan_queue_rules(m)[0].dport.has_value());
  m.dport = PortRange{9, 8};
  EXPECT_THROW(nft::plan_queue_rules(m), FieldError);
  Match icmp_with_port{cidrs({"10.0.0.0/8"}), {}, Protocol::icmp, PortRange{1, 1}, {}};
  EXPECT_THROW(nft::plan_queue_rules(icmp_with_port), FieldError);
}

TEST(NftPlan, IngressSwapsRemoteSideOntoTheSource) {
  Match m{cidrs({"10.0.0.0/8"}), cidrs({"192.168.0.0/16"}), Protocol::tcp, PortRange{80, 80}, PortRange{1000, 2000}};
  const Match in = nft::wire_match(m, Direction::ingress);
  EXPECT_EQ(in.to, m.from);
  EXPECT_EQ(in.from, m.to);
  EXPECT_EQ(in.dport, m.sport);
  EXPECT_EQ(in.sport, m.dport);
  EXPECT_EQ(nft::wire_match(m, Direction::egress), m);
}

TEST(NftNames, SetNamesAndRuleCommentsEmbedTheQueue) {
  EXPECT_EQ(nft::set_name(7, Direction::egress, true), "q7_egress_daddr");
  EXPECT_EQ(nft::set_name(65535, Direction::ingress, false), "q65535_ingress_saddr");
  EXPECT_EQ(nft::rule_comment(7, Direction::ingress), "injectord queue=7 ingress");
  EXPECT_EQ(nft::queue_of_rule_comment("injectord queue=7 ingress"), std::optional<std::uint16_t>(7));
  EXPECT_EQ(nft::queue_of_rule_comment("injectord queue=70 egress"), std::optional<std::uint16_t>(70));
  EXPECT_FALSE(nft::queue_of_rule_comment("injectord queue=70000 egress").has_value());  // not a u16
  EXPECT_FALSE(nft::queue_of_rule_comment("injectord queue=7x egress").has_value());
  EXPECT_FALSE(nft::queue_of_rule_comment("injectord queue= egress").has_value());
  EXPECT_FALSE(nft::queue_of_rule_comment(nft::kNdExemptComment).has_value());
  EXPECT_FALSE(nft::queue_of_rule_comment("someone else's rule").has_value());
  EXPECT_TRUE(nft::set_belongs_to_queue("q7_egress_daddr", 7));
  EXPECT_FALSE(nft::set_belongs_to_queue("q70_egress_daddr", 7));
  EXPECT_FALSE(nft::set_belongs_to_queue("q7", 7));
}


// Control-path exclusions: accept rules carrying the fault's tests and the exclusion's.
nft::FamilyRule v4_fault(std::optional<std::uint8_t> l4proto = std::nullopt) {
  return {Family::v4, std::nullopt, std::nullopt, l4proto, std::nullopt, std::nullopt};
}

TEST(ExclusionTests, EgressTestsSourcePortAndDestinationPeer) {
  const auto tests =
      nft::plan_exclusion_tests({injector::parse_exclusion("tcp:22@10.1.0.0/16")}, Direction::egress, v4_fault());
  ASSERT_EQ(tests.size(), 1u);
  EXPECT_EQ(tests[0].l4proto, std::uint8_t{IPPROTO_TCP});
  EXPECT_EQ(tests[0].sport, (PortRange{22, 22}));
  EXPECT_FALSE(tests[0].dport.has_value());
  EXPECT_EQ(tests[0].daddr, Cidr::parse("10.1.0.0/16"));
  EXPECT_FALSE(tests[0].saddr.has_value());
}

TEST(ExclusionTests, IngressTestsDestinationPortAndSourcePeer) {
  const auto tests =
      nft::plan_exclusion_tests({injector::parse_exclusion("udp:53@10.1.0.0/16")}, Direction::ingress, v4_fault());
  ASSERT_EQ(tests.size(), 1u);
  EXPECT_EQ(tests[0].l4proto, std::uint8_t{IPPROTO_UDP});
  EXPECT_EQ(tests[0].dport, (PortRange{53, 53}));
  EXPECT_EQ(tests[0].saddr, Cidr::parse("10.1.0.0/16"));
}

TEST(ExclusionTests, LeavesOutWhatCannotOverlapTheFault) {
  const std::vector<injector::Exclusion> all = {injector::parse_exclusion("tcp:22"), injector::parse_exclusion("fd00::/64"),
                                                injector::parse_exclusion("10.0.0.0/8")};
  // A udp fault meets no tcp exclusion; a v4 rule no v6 peer.
  const auto udp = nft::plan_exclusion_tests(all, Direction::egress, v4_fault(IPPROTO_UDP));
  ASSERT_EQ(udp.size(), 1u);
  EXPECT_EQ(udp[0].daddr, Cidr::parse("10.0.0.0/8"));
  EXPECT_EQ(udp[0].l4proto, std::uint8_t{IPPROTO_UDP});  // the fault's protocol stays tested
  EXPECT_EQ(nft::plan_exclusion_tests(all, Direction::egress, v4_fault()).size(), 2u);
  EXPECT_TRUE(nft::plan_exclusion_tests({}, Direction::egress, v4_fault()).empty());
}

TEST(ExclusionTests, CommentsTieTheRulesToTheirQueue) {
  EXPECT_EQ(nft::exclusion_comment(7, Direction::egress), "injectord queue=7 egress exclusion");
  EXPECT_EQ(nft::queue_of_rule_comment(nft::exclusion_comment(7, Direction::ingress)), 7);
}

}  // namespace
