// The nf_tables messages as bytes, parsed back with libnftnl: no kernel, no root.
#include "daemon/nft/nft_messages.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <sys/uio.h>

#include <cstring>
#include <string>
#include <vector>

#include "daemon/nft/nft_objects.h"

namespace {

using injector::Cidr;
using injector::Direction;
using injector::Family;
using injector::PortRange;
namespace nft = injector::nft;

// Every message of a finished batch, copied out of its pages.
std::vector<std::vector<char>> messages_of(nft::Batch& b) {
  b.finish();
  const int n = nftnl_batch_iovec_len(b.pages());
  std::vector<iovec> iov(static_cast<std::size_t>(n));
  nftnl_batch_iovec(b.pages(), iov.data(), static_cast<std::uint32_t>(n));
  std::vector<std::vector<char>> out;
  for (const iovec& v : iov) {
    int left = static_cast<int>(v.iov_len);
    for (auto* nlh = static_cast<const nlmsghdr*>(v.iov_base); mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      const auto* p = reinterpret_cast<const char*>(nlh);
      out.emplace_back(p, p + nlh->nlmsg_len);
    }
  }
  return out;
}

std::uint16_t nft_type(const std::vector<char>& msg) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
  return static_cast<std::uint16_t>(nlh->nlmsg_type & 0xff);
}

struct ExprSeen {
  std::string name;
  std::vector<std::uint8_t> target_info;
};

int collect_expr(nftnl_expr* e, void* data) {
  auto* out = static_cast<std::vector<ExprSeen>*>(data);
  ExprSeen seen{nftnl_expr_get_str(e, NFTNL_EXPR_NAME), {}};
  if (seen.name == "target") {
    std::uint32_t len = 0;
    const auto* info = static_cast<const std::uint8_t*>(nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len));
    seen.target_info.assign(info, info + len);
    EXPECT_STREQ(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE");
    EXPECT_EQ(nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV), 3u);
  }
  out->push_back(std::move(seen));
  return 0;
}

TEST(NftComment, RoundTripsAndRejectsGarbage) {
  const auto udata = nft::comment_userdata(nft::kOwnerMark);
  EXPECT_EQ(nft::comment_from_userdata(udata.data(), static_cast<std::uint32_t>(udata.size())), nft::kOwnerMark);
  // The raw text without the TLV header is not our mark.
  const std::string raw(nft::kOwnerMark);
  EXPECT_NE(nft::comment_from_userdata(raw.data(), static_cast<std::uint32_t>(raw.size())), nft::kOwnerMark);
  // A length running past the end is refused, not read.
  const std::uint8_t truncated[] = {0, 40, 'o', 'w'};
  EXPECT_EQ(nft::comment_from_userdata(truncated, sizeof truncated), "");
  EXPECT_EQ(nft::comment_from_userdata(nullptr, 0), "");
}

TEST(NftBatch, BeginCarriesTheGenerationAndEveryMessageAsksForAnAck) {
  nft::Batch b(100, 0x01020304);
  nft::add_table(b, Family::v4);
  const auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 3u);
  const auto* begin = reinterpret_cast<const nlmsghdr*>(msgs[0].data());
  EXPECT_EQ(begin->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(begin->nlmsg_seq, 100u);
  const nlattr* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(begin, sizeof(nfgenmsg)));
  ASSERT_EQ(mnl_attr_get_type(attr), NFNL_BATCH_GENID);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(attr)), 0x01020304u);
  const auto* table = reinterpret_cast<const nlmsghdr*>(msgs[1].data());
  EXPECT_EQ(nft_type(msgs[1]), NFT_MSG_NEWTABLE);
  EXPECT_TRUE(table->nlmsg_flags & NLM_F_ACK);
  EXPECT_TRUE(table->nlmsg_flags & NLM_F_EXCL);  // never adopt a table someone made meanwhile
  EXPECT_EQ(b.what(101), "create table ip injectord ");
  EXPECT_EQ(reinterpret_cast<const nlmsghdr*>(msgs[2].data())->nlmsg_type, NFNL_MSG_BATCH_END);
}

TEST(NftBatch, TenThousandIPv6NetworksSplitIntoMessagesUnder64KiB) {
  std::vector<Cidr> many;
  for (int i = 0; i < 10'000; ++i) many.push_back(Cidr::parse("fd00:" + std::to_string(i) + "::/64"));
  const auto elements = nft::interval_elements(nft::merged_ranges(many, Family::v6), Family::v6);
  nft::Batch b(1, 0);
  nft::add_address_set(b, Family::v6, "q1_egress_daddr", 1, elements);
  const auto msgs = messages_of(b);
  // begin, NEWSET, ceil(20,001 / 1024) = 20 NEWSETELEM, end
  ASSERT_EQ(msgs.size(), 1u + 1u + 20u + 1u);
  EXPECT_EQ(nft_type(msgs[1]), NFT_MSG_NEWSET);
  for (std::size_t i = 2; i < msgs.size() - 1; ++i) {
    EXPECT_EQ(nft_type(msgs[i]), NFT_MSG_NEWSETELEM);
    EXPECT_LE(msgs[i].size(), nft::Batch::kMaxMessage);
  }
}

TEST(NftRule, QueueRuleExpressionsInOrderWithBypassTarget) {
  nft::Batch b(1, 0);
  nft::QueueRuleSpec spec;
  spec.family = Family::v6;
  spec.side = Direction::ingress;
  spec.device = "veth-x";
  spec.skip_mark = 0x1234;
  spec.queue = 4242;
  spec.daddr = nft::SetRef{"q4242_ingress_daddr", 1};
  spec.l4proto = 6;
  spec.dport = PortRange{8000, 8100};
  spec.sport = PortRange{443, 443};
  nft::add_queue_rule(b, spec);
  const auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 3u);
  nft::RulePtr rule = nft::make_rule();
  ASSERT_EQ(nftnl_rule_nlmsg_parse(reinterpret_cast<const nlmsghdr*>(msgs[1].data()), rule.get()), 0);
  EXPECT_STREQ(nftnl_rule_get_str(rule.get(), NFTNL_RULE_CHAIN), "ingress");
  std::uint32_t len = 0;
  const void* udata = nftnl_rule_get_data(rule.get(), NFTNL_RULE_USERDATA, &len);
  EXPECT_EQ(nft::comment_from_userdata(udata, len), "injectord queue=4242 ingress");

  std::vector<ExprSeen> exprs;
  nftnl_expr_foreach(rule.get(), collect_expr, &exprs);
  std::vector<std::string> names;
  for (const auto& e : exprs) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"meta", "cmp",              // iifname
                                             "meta", "cmp",              // mark != skip
                                             "meta", "cmp",              // l4proto
                                             "payload", "range",         // th dport 8000-8100
                                             "payload", "cmp",           // th sport 443
                                             "payload", "lookup",        // ip6 daddr @set
                                             "counter", "target"}));
  xt_NFQ_info_v3 info{};
  ASSERT_GE(exprs.back().target_info.size(), sizeof info);
  std::memcpy(&info, exprs.back().target_info.data(), sizeof info);
  EXPECT_EQ(info.queuenum, 4242);
  EXPECT_EQ(info.queues_total, 1);
  EXPECT_EQ(info.flags, NFQ_FLAG_BYPASS);
}

TEST(NftRule, Ipv6ChainStartsWithTheNeighbourDiscoveryExemption) {
  nft::Batch b(1, 0);
  nft::add_base_chain(b, Family::v6, Direction::egress);
  auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(nft_type(msgs[1]), NFT_MSG_NEWCHAIN);
  EXPECT_EQ(nft_type(msgs[2]), NFT_MSG_NEWRULE);
  nft::RulePtr rule = nft::make_rule();
  ASSERT_EQ(nftnl_rule_nlmsg_parse(reinterpret_cast<const nlmsghdr*>(msgs[2].data()), rule.get()), 0);
  std::uint32_t len = 0;
  const void* udata = nftnl_rule_get_data(rule.get(), NFTNL_RULE_USERDATA, &len);
  EXPECT_EQ(nft::comment_from_userdata(udata, len), nft::kNdExemptComment);
  // l4proto == icmpv6, icmpv6 type in 133..137, accept
  std::vector<ExprSeen> exprs;
  nftnl_expr_foreach(rule.get(), collect_expr, &exprs);
  std::vector<std::string> names;
  for (const auto& e : exprs) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"meta", "cmp", "payload", "range", "immediate"}));
  nftnl_expr_iter* it = nftnl_expr_iter_create(rule.get());
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
    const std::string name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
    std::uint32_t n = 0;
    if (name == "cmp") {
      EXPECT_EQ(*static_cast<const std::uint8_t*>(nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &n)), 58);
    }
    if (name == "range") {
      EXPECT_EQ(*static_cast<const std::uint8_t*>(nftnl_expr_get(e, NFTNL_EXPR_RANGE_FROM_DATA, &n)), 133);
      EXPECT_EQ(*static_cast<const std::uint8_t*>(nftnl_expr_get(e, NFTNL_EXPR_RANGE_TO_DATA, &n)), 137);
    }
    if (name == "immediate") {
      EXPECT_EQ(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT), static_cast<std::uint32_t>(NF_ACCEPT));
    }
  }
  nftnl_expr_iter_destroy(it);
  nft::Batch v4(1, 0);
  nft::add_base_chain(v4, Family::v4, Direction::egress);
  EXPECT_EQ(messages_of(v4).size(), 3u);  // IPv4 has no neighbour discovery to spare
}

}  // namespace
