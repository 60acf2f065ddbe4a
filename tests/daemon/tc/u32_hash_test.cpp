#include "daemon/tc/u32_hash.h"

#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/tc/handles.h"
#include "daemon/tc/u32_filter.h"

namespace {

using injector::Cidr;
using injector::Family;
using injector::Match;
using injector::PortRange;
using injector::Protocol;
using injector::tc::HashKey;
using injector::tc::HashPlan;
using injector::tc::U32Rule;
namespace tc = injector::tc;

// n host routes 10.200.x.y/32, y = 1..250 (as the benchmark's 10,000-target cut).
std::vector<Cidr> hosts_v4(int n) {
  std::vector<Cidr> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Cidr::parse("10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)));
  }
  return out;
}

std::vector<U32Rule> rules_to(const std::vector<Cidr>& to) {
  Match m;
  m.to = to;
  return tc::rules_for_match(m);
}

// Every rule of `family` appears exactly once in the plan, and nothing else does.
void expect_partition(const std::vector<U32Rule>& rules, Family family, const HashPlan& plan) {
  std::multiset<std::size_t> seen(plan.linear.begin(), plan.linear.end());
  for (const auto& e : plan.buckets) seen.insert(e.rule);
  std::multiset<std::size_t> expected;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].family == family) expected.insert(i);
  }
  EXPECT_EQ(seen, expected);
}

TEST(U32Hash, SmallSetsStayLinear) {
  const auto rules = rules_to(hosts_v4(static_cast<int>(tc::kHashMinRules) - 1));
  const HashPlan plan = tc::plan_hash(rules, Family::v4);
  EXPECT_FALSE(plan.hashed);
  EXPECT_TRUE(plan.buckets.empty());
  EXPECT_EQ(plan.linear.size(), rules.size());
  for (std::size_t i = 0; i < plan.linear.size(); ++i) EXPECT_EQ(plan.linear[i], i);  // input order kept
}

TEST(U32Hash, LargeHostSetHashesOnLastDestinationByte) {
  const auto rules = rules_to(hosts_v4(10'000));
  const HashPlan plan = tc::plan_hash(rules, Family::v4);
  ASSERT_TRUE(plan.hashed);
  EXPECT_EQ(plan.key, (HashKey{16, 0}));  // tc: hashkey mask 0x000000ff at 16
  EXPECT_EQ(plan.key.host_mask(), 0x000000ffu);
  EXPECT_TRUE(plan.linear.empty());
  ASSERT_EQ(plan.buckets.size(), rules.size());
  const auto hosts = hosts_v4(10'000);
  for (const auto& e : plan.buckets) EXPECT_EQ(e.bucket, hosts[e.rule].addr[3]);
  expect_partition(rules, Family::v4, plan);
}

TEST(U32Hash, PrefixesHashOnTheirLastCoveredBits) {
  std::vector<Cidr> nets;  // 10.1.x.0/24: the third byte is the last one all of them fix
  for (int x = 0; x < 100; ++x) nets.push_back(Cidr::parse("10.1." + std::to_string(x) + ".0/24"));
  const HashPlan plan = tc::plan_hash(rules_to(nets), Family::v4);
  ASSERT_TRUE(plan.hashed);
  EXPECT_EQ(plan.key, (HashKey{16, 8}));
  for (const auto& e : plan.buckets) EXPECT_EQ(e.bucket, nets[e.rule].addr[2]);

  std::vector<Cidr> twenties;  // /20s end mid-byte: hash the 8 bits just above the host part
  for (int x = 0; x < 64; ++x) {
    const int net = x << 12;  // host-order bits 12..19 of the address's low 24 bits
    twenties.push_back(Cidr::parse("10." + std::to_string(net >> 16) + "." + std::to_string((net >> 8) & 0xff) + ".0/20"));
  }
  const HashPlan p20 = tc::plan_hash(rules_to(twenties), Family::v4);
  ASSERT_TRUE(p20.hashed);
  EXPECT_EQ(p20.key, (HashKey{16, 12}));
  for (const auto& e : p20.buckets) EXPECT_EQ(e.bucket, e.rule);  // (address >> 12) & 0xff == x
}

TEST(U32Hash, RulesNotCoveringTheHashedBitsGoLinear) {
  auto to = hosts_v4(200);
  to.push_back(Cidr::parse("192.168.0.0/16"));
  to.push_back(Cidr::parse("172.16.0.0/12"));
  to.push_back(Cidr::parse("0.0.0.0/0"));
  const auto rules = rules_to(to);
  const HashPlan plan = tc::plan_hash(rules, Family::v4);
  ASSERT_TRUE(plan.hashed);
  EXPECT_EQ(plan.key, (HashKey{16, 0}));
  EXPECT_EQ(plan.linear, (std::vector<std::size_t>{200, 201, 202}));
  EXPECT_EQ(plan.buckets.size(), 200u);
  expect_partition(rules, Family::v4, plan);
}

TEST(U32Hash, NoHashWhenItCannotSpread) {
  // Forty rules that all fix the same bits: every candidate bucket holds all of them.
  std::vector<U32Rule> rules(40, rules_to({Cidr::parse("10.9.9.9")}).front());
  const HashPlan plan = tc::plan_hash(rules, Family::v4);
  EXPECT_FALSE(plan.hashed);
  EXPECT_EQ(plan.linear.size(), 40u);
}

TEST(U32Hash, MixedFamiliesArePlannedSeparately) {
  auto to = hosts_v4(50);
  for (int i = 1; i <= 30; ++i) to.push_back(Cidr::parse("fd00::" + std::to_string(i)));
  const auto rules = rules_to(to);
  const HashPlan v4 = tc::plan_hash(rules, Family::v4);
  const HashPlan v6 = tc::plan_hash(rules, Family::v6);
  EXPECT_TRUE(v4.hashed);
  EXPECT_TRUE(v6.hashed);
  expect_partition(rules, Family::v4, v4);
  expect_partition(rules, Family::v6, v6);
}

TEST(U32Hash, IPv6HostsHashOnTheLastAddressByte) {
  std::vector<Cidr> to;
  for (int i = 0; i < 600; ++i) {
    char text[64];
    std::snprintf(text, sizeof text, "fd00:1::%x:%x", i / 256, i % 256);
    to.push_back(Cidr::parse(text));
  }
  const auto rules = rules_to(to);
  const HashPlan plan = tc::plan_hash(rules, Family::v6);
  ASSERT_TRUE(plan.hashed);
  EXPECT_EQ(plan.key, (HashKey{36, 0}));  // destination bytes 12..15 are at offset 36
  for (const auto& e : plan.buckets) EXPECT_EQ(e.bucket, to[e.rule].addr[15]);
  expect_partition(rules, Family::v6, plan);
}

TEST(U32Hash, IPv6SlashSixtyFoursHashInsideTheirPrefix) {
  std::vector<Cidr> to;
  for (int i = 0; i < 100; ++i) to.push_back(Cidr::parse("fd00:0:0:" + std::to_string(i) + "::/64"));
  to.push_back(Cidr::parse("fd00::/48"));  // does not fix bits 32..39 of word 28
  const auto rules = rules_to(to);
  const HashPlan plan = tc::plan_hash(rules, Family::v6);
  ASSERT_TRUE(plan.hashed);
  EXPECT_EQ(plan.key, (HashKey{28, 0}));  // the last byte of the /64 prefix
  EXPECT_EQ(plan.linear, std::vector<std::size_t>{100});
  for (const auto& e : plan.buckets) EXPECT_EQ(e.bucket, to[e.rule].addr[7]);
}

TEST(U32Hash, SourcesAreHashedWhenThereAreNoDestinations) {
  Match m;
  m.from = hosts_v4(300);
  const auto rules = tc::rules_for_match(m);
  const HashPlan plan = tc::plan_hash(rules, Family::v4);
  ASSERT_TRUE(plan.hashed);
  EXPECT_EQ(plan.key, (HashKey{12, 0}));
  for (const auto& e : plan.buckets) EXPECT_EQ(e.bucket, m.from[e.rule].addr[3]);
}

TEST(U32Hash, RulesWithPortsStillHashOnTheDestination) {
  Match m;
  m.to = hosts_v4(300);
  m.protocol = Protocol::tcp;
  m.dport = PortRange{443, 443};
  const auto rules = tc::rules_for_match(m);
  const HashPlan plan = tc::plan_hash(rules, Family::v4);
  ASSERT_TRUE(plan.hashed);
  EXPECT_EQ(plan.key, (HashKey{16, 0}));
  EXPECT_TRUE(plan.linear.empty());
  // Each rule keeps every key (protocol, IHL, fragment, ports): the bucket only narrows.
  for (const auto& e : plan.buckets) EXPECT_EQ(rules[e.rule].keys.size(), 5u);
}

TEST(U32Hash, BucketOfReadsTheKernelsFold) {
  const auto rule = rules_to({Cidr::parse("10.1.2.3")}).front();
  EXPECT_EQ(tc::bucket_of(rule, {16, 0}), std::uint8_t{3});
  EXPECT_EQ(tc::bucket_of(rule, {16, 8}), std::uint8_t{2});
  EXPECT_EQ(tc::bucket_of(rule, {16, 24}), std::uint8_t{10});
  EXPECT_EQ(tc::bucket_of(rule, {16, 4}), std::uint8_t{0x20});  // 0x0a010203 >> 4 & 0xff
  EXPECT_EQ(tc::bucket_of(rule, {12, 0}), std::nullopt);        // no source key
  const auto net = rules_to({Cidr::parse("10.1.0.0/16")}).front();
  EXPECT_EQ(tc::bucket_of(net, {16, 8}), std::nullopt);  // those bits are not fixed
  EXPECT_EQ(tc::bucket_of(net, {16, 16}), std::uint8_t{1});
}

TEST(U32Hash, TableIdsAreUniqueAndBelowTheKernelsOwn) {
  std::set<std::uint32_t> seen;
  for (int slot = 1; slot <= tc::kMaxSlots; ++slot) {
    for (const Family f : {Family::v4, Family::v6}) {
      const auto htid = tc::hash_table_id(slot, f);
      EXPECT_EQ(htid, tc::hash_table_for_prio(tc::slot_filter_prio(slot, f == Family::v6)));
      // A slot ahead of the exclusions uses the same table id (it is one or the other).
      EXPECT_EQ(htid, tc::hash_table_id(slot, f, true));
      EXPECT_EQ(htid, tc::hash_table_for_prio(tc::slot_filter_prio(slot, f == Family::v6, true)));
      if (slot <= 1022) {
        ASSERT_TRUE(htid.has_value()) << slot;
      }
      if (!htid) continue;
      EXPECT_GE(*htid, 1u);
      EXPECT_LT(*htid, 0x800u);  // the kernel's root tables take 0x800 and up
      EXPECT_TRUE(seen.insert(*htid).second) << "slot " << slot;
    }
  }
  EXPECT_EQ(tc::hash_table_id(1, Family::v4), 3u);
  EXPECT_EQ(tc::hash_table_id(1, Family::v6), 4u);
  EXPECT_EQ(tc::hash_table_id(tc::kMaxSlots, Family::v4), std::nullopt);
  EXPECT_EQ(tc::hash_table_for_prio(tc::kNdExemptPrio), std::nullopt);
  EXPECT_EQ(tc::hash_table_for_prio(tc::kExclusionPrio), std::nullopt);
  EXPECT_EQ(tc::hash_table_for_prio(tc::kExclusionPrio + 1), std::nullopt);
}

// The same request the way libnl's classifier objects build it (what the code did before).
nl_msg* libnl_request(int ifindex, std::uint16_t prio, const U32Rule& rule, std::uint32_t classid,
                      std::optional<tc::U32Bucket> where) {
  rtnl_cls* cls = rtnl_cls_alloc();
  rtnl_tc_set_ifindex(TC_CAST(cls), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls), tc::root_handle());
  rtnl_tc_set_kind(TC_CAST(cls), "u32");
  rtnl_cls_set_prio(cls, prio);
  rtnl_cls_set_protocol(cls, rule.family == Family::v4 ? ETH_P_IP : ETH_P_IPV6);
  if (where) rtnl_u32_set_hashtable(cls, (where->htid << 20) | (std::uint32_t{where->bucket} << 12));
  if (where && where->node) rtnl_tc_set_handle(TC_CAST(cls), (where->htid << 20) | (std::uint32_t{where->bucket} << 12) | where->node);
  for (const auto& k : rule.keys) rtnl_u32_add_key(cls, k.value, k.mask, k.offset, 0);
  rtnl_u32_set_classid(cls, classid);
  rtnl_u32_set_cls_terminal(cls);
  nl_msg* msg = nullptr;
  rtnl_cls_build_add_request(cls, NLM_F_CREATE, &msg);
  rtnl_cls_put(cls);
  return msg;
}

void expect_same_bytes(nl_msg* ours, nl_msg* reference) {
  ASSERT_NE(ours, nullptr);
  ASSERT_NE(reference, nullptr);
  const nlmsghdr* a = nlmsg_hdr(ours);
  const nlmsghdr* b = nlmsg_hdr(reference);
  ASSERT_EQ(a->nlmsg_len, b->nlmsg_len);
  EXPECT_EQ(std::memcmp(a, b, a->nlmsg_len), 0);
  nlmsg_free(ours);
  nlmsg_free(reference);
}

TEST(U32FilterRequest, IsByteForByteWhatLibnlBuilds) {
  Match m;
  m.to = {Cidr::parse("10.1.2.3"), Cidr::parse("fd00::1:200/120")};
  m.from = {Cidr::parse("10.9.0.0/16"), Cidr::parse("fd00:9::/48")};
  m.protocol = Protocol::tcp;
  m.dport = PortRange{8000, 8001};
  const auto rules = tc::rules_for_match(m);
  ASSERT_EQ(rules.size(), 2u);  // one per family, each with protocol, address and port keys
  const std::uint32_t classid = tc::slot_class(7);
  for (const auto& rule : rules) {
    const std::uint16_t prio = tc::slot_filter_prio(7, rule.family == Family::v6);
    expect_same_bytes(tc::build_u32_rule_request(5, prio, rule, classid, std::nullopt),
                      libnl_request(5, prio, rule, classid, std::nullopt));
    const tc::U32Bucket where{*tc::hash_table_id(7, rule.family), 0xab};
    expect_same_bytes(tc::build_u32_rule_request(5, prio, rule, classid, where),
                      libnl_request(5, prio, rule, classid, where));
    const tc::U32Bucket with_node{where.htid, 0xab, 0x123};
    expect_same_bytes(tc::build_u32_rule_request(5, prio, rule, classid, with_node),
                      libnl_request(5, prio, rule, classid, with_node));
  }
}

TEST(U32Hash, NodeIdsCountUpWithinEachBucketInRuleOrder) {
  tc::HashPlan plan;
  plan.hashed = true;
  plan.buckets = {{0, 7}, {1, 9}, {2, 7}, {3, 7}, {4, 9}, {5, 0}};
  EXPECT_EQ(tc::bucket_node_ids(plan), (std::vector<std::uint16_t>{1, 1, 2, 3, 2, 1}));
}

TEST(U32Hash, NodeIdsPastTheTwelveBitSpaceAreLeftToTheKernel) {
  tc::HashPlan plan;
  plan.hashed = true;
  for (std::size_t i = 0; i < 0x1001; ++i) plan.buckets.push_back({i, 3});
  const auto ids = tc::bucket_node_ids(plan);
  EXPECT_EQ(ids[0xffe], 0xfff);
  EXPECT_EQ(ids[0xfff], 0);
  EXPECT_EQ(ids[0x1000], 0);
}

}  // namespace
