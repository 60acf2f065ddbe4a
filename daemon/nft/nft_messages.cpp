#include "daemon/nft/nft_messages.h"

#include <arpa/inet.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>

#include "daemon/nft/nft_objects.h"
#include "daemon/nft/queue_rules.h"

namespace injector::nft {
namespace {

// Hook priorities, chosen so the rules see what the tc path sees on the wire:
// - egress at 150: after source NAT (100), so `from` matches the address the
//   packet leaves with; before conntrack confirmation (INT_MAX), which is
//   where iptables' own NFQUEUE in POSTROUTING sits too.
// - ingress at -150: after defragmentation (-400) and conntrack (-200), so
//   ports are readable in every packet; before destination NAT (-100), so
//   `to` matches the address the packet arrived for.
constexpr std::int32_t kEgressPriority = 150;
constexpr std::int32_t kIngressPriority = -150;

constexpr std::uint32_t kTypeIpv4Addr = 7;  // nft's datatype ids, so `nft list` prints addresses
constexpr std::uint32_t kTypeIpv6Addr = 8;
constexpr std::uint8_t kNdFirstType = 133;  // router solicitation .. redirect
constexpr std::uint8_t kNdLastType = 137;

// Payload offsets in the network header.
constexpr std::uint32_t kV4Saddr = 12, kV4Daddr = 16, kV6Saddr = 8, kV6Daddr = 24;

nlmsghdr* header(char* buf, std::uint16_t type, Family f, std::uint16_t flags, std::uint32_t seq) {
  return nftnl_nlmsg_build_hdr(buf, type, nfproto(f), static_cast<std::uint16_t>(flags | NLM_F_ACK), seq);
}

void push(nftnl_rule* r, ExprPtr e) { nftnl_rule_add_expr(r, e.release()); }

ExprPtr meta_load(std::uint32_t key) {
  ExprPtr e = make_expr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, NFT_REG_1);
  return e;
}

ExprPtr payload_load(std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
  ExprPtr e = make_expr("payload");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  return e;
}

ExprPtr cmp(std::uint32_t op, const void* data, std::uint32_t len) {
  ExprPtr e = make_expr("cmp");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
  return e;
}

// from..to inclusive; both in the byte order the register holds.
ExprPtr range(const void* from, const void* to, std::uint32_t len) {
  ExprPtr e = make_expr("range");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
  nftnl_expr_set(e.get(), NFTNL_EXPR_RANGE_FROM_DATA, from, len);
  nftnl_expr_set(e.get(), NFTNL_EXPR_RANGE_TO_DATA, to, len);
  return e;
}

// th dport/sport: a single port as cmp eq, a range as one range expression.
void push_port_test(nftnl_rule* r, std::uint32_t offset, PortRange ports) {
  push(r, payload_load(NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2));
  const std::uint16_t first = htons(ports.first), last = htons(ports.last);
  push(r, ports.first == ports.last ? cmp(NFT_CMP_EQ, &first, 2) : range(&first, &last, 2));
}

void push_lookup(nftnl_rule* r, Family f, bool destination, const SetRef& set) {
  const std::uint32_t offset = f == Family::v4 ? (destination ? kV4Daddr : kV4Saddr) : (destination ? kV6Daddr : kV6Saddr);
  push(r, payload_load(NFT_PAYLOAD_NETWORK_HEADER, offset, address_bytes(f)));
  ExprPtr e = make_expr("lookup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, set.name.c_str());
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, set.id);
  push(r, std::move(e));
}

// The xtables NFQUEUE target (revision 3) through nft's compat expression:
// this kernel has no nft `queue` statement, but has xt_NFQUEUE.
ExprPtr nfqueue_target(std::uint16_t queue) {
  ExprPtr e = make_expr("target");
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_TG_NAME, "NFQUEUE");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_TG_REV, 3);
  // libnftnl takes this buffer over and free()s it with the expression; its
  // size is padded to XT_ALIGN as x_tables expects (iptables-nft does the same).
  const std::uint32_t size = XT_ALIGN(sizeof(xt_NFQ_info_v3));
  auto* info = static_cast<xt_NFQ_info_v3*>(std::calloc(1, size));
  if (!info) throw std::bad_alloc();
  info->queuenum = queue;
  info->queues_total = 1;
  // Bypass: with no listener on the queue, packets pass instead of being dropped.
  info->flags = NFQ_FLAG_BYPASS;
  nftnl_expr_set(e.get(), NFTNL_EXPR_TG_INFO, info, size);
  return e;
}

RulePtr rule_in(Family f, Direction side, std::string_view comment) {
  RulePtr r = make_rule();
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, kTableName);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain_name(side));
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, nfproto(f));
  const auto udata = comment_userdata(comment);
  nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, udata.data(), static_cast<std::uint32_t>(udata.size()));
  return r;
}

void append_rule(Batch& b, Family f, RulePtr r, std::string what) {
  b.add(std::move(what), [&](char* buf, std::uint32_t seq) {
    nlmsghdr* nlh = header(buf, NFT_MSG_NEWRULE, f, NLM_F_APPEND | NLM_F_CREATE, seq);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    return nlh;
  });
}

// `meta l4proto icmpv6 icmpv6 type 133-137 accept`, first in every ip6 chain:
// accept only ends this chain, so it just keeps neighbour discovery away from
// the queue rules after it (a cut must never break address resolution).
void add_nd_exempt_rule(Batch& b, Direction side) {
  RulePtr r = rule_in(Family::v6, side, kNdExemptComment);
  push(r.get(), meta_load(NFT_META_L4PROTO));
  const std::uint8_t icmpv6 = IPPROTO_ICMPV6;
  push(r.get(), cmp(NFT_CMP_EQ, &icmpv6, 1));
  push(r.get(), payload_load(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1));
  push(r.get(), range(&kNdFirstType, &kNdLastType, 1));
  ExprPtr accept = make_expr("immediate");
  nftnl_expr_set_u32(accept.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(accept.get(), NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
  push(r.get(), std::move(accept));
  append_rule(b, Family::v6, std::move(r), std::string("add neighbour-discovery exemption to ip6 ") + kTableName + " " +
                                               chain_name(side));
}

SetPtr set_named(Family f, const std::string& name) {
  SetPtr s = make_set();
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, kTableName);
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, nfproto(f));
  return s;
}

std::string object_name(Family f, const std::string& name) {
  return std::string(family_name(f)) + " " + kTableName + " " + name;
}

}  // namespace

std::uint16_t nfproto(Family f) { return f == Family::v4 ? NFPROTO_IPV4 : NFPROTO_IPV6; }
const char* family_name(Family f) { return f == Family::v4 ? "ip" : "ip6"; }
const char* chain_name(Direction side) { return side == Direction::ingress ? "ingress" : "egress"; }

void add_table(Batch& b, Family f) {
  TablePtr t = make_table();
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, kTableName);
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, nfproto(f));
  const auto udata = comment_userdata(kOwnerMark);
  nftnl_table_set_data(t.get(), NFTNL_TABLE_USERDATA, udata.data(), static_cast<std::uint32_t>(udata.size()));
  b.add("create table " + object_name(f, ""), [&](char* buf, std::uint32_t seq) {
    nlmsghdr* nlh = header(buf, NFT_MSG_NEWTABLE, f, NLM_F_CREATE | NLM_F_EXCL, seq);
    nftnl_table_nlmsg_build_payload(nlh, t.get());
    return nlh;
  });
}

void delete_table(Batch& b, Family f) {
  TablePtr t = make_table();
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, kTableName);
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, nfproto(f));
  b.add("delete table " + object_name(f, ""), [&](char* buf, std::uint32_t seq) {
    nlmsghdr* nlh = header(buf, NFT_MSG_DELTABLE, f, 0, seq);
    nftnl_table_nlmsg_build_payload(nlh, t.get());
    return nlh;
  });
}

void add_base_chain(Batch& b, Family f, Direction side) {
  ChainPtr c = make_chain();
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, kTableName);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, chain_name(side));
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, nfproto(f));
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
  const bool ingress = side == Direction::ingress;
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, ingress ? NF_INET_PRE_ROUTING : NF_INET_POST_ROUTING);
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, ingress ? kIngressPriority : kEgressPriority);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  b.add("create chain " + object_name(f, chain_name(side)), [&](char* buf, std::uint32_t seq) {
    nlmsghdr* nlh = header(buf, NFT_MSG_NEWCHAIN, f, NLM_F_CREATE | NLM_F_EXCL, seq);
    nftnl_chain_nlmsg_build_payload(nlh, c.get());
    return nlh;
  });
  if (f == Family::v6) add_nd_exempt_rule(b, side);
}

void add_address_set(Batch& b, Family f, const std::string& name, std::uint32_t set_id,
                     const std::vector<SetElement>& elements) {
  SetPtr s = set_named(f, name);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, set_id);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, address_bytes(f));
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, f == Family::v4 ? kTypeIpv4Addr : kTypeIpv6Addr);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
  b.add("create set " + object_name(f, name), [&](char* buf, std::uint32_t seq) {
    nlmsghdr* nlh = header(buf, NFT_MSG_NEWSET, f, NLM_F_CREATE | NLM_F_EXCL, seq);
    nftnl_set_nlmsg_build_payload(nlh, s.get());
    return nlh;
  });
  for (std::size_t at = 0; at < elements.size(); at += kElementsPerMessage) {
    SetPtr chunk = set_named(f, name);
    nftnl_set_set_u32(chunk.get(), NFTNL_SET_ID, set_id);
    const std::size_t end = std::min(elements.size(), at + kElementsPerMessage);
    for (std::size_t i = at; i < end; ++i) {
      ElemPtr e = make_elem();
      nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, elements[i].key.data(), static_cast<std::uint32_t>(elements[i].key.size()));
      if (elements[i].interval_end) nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
      nftnl_set_elem_add(chunk.get(), e.release());
    }
    b.add("add elements " + std::to_string(at) + "-" + std::to_string(end - 1) + " to set " + object_name(f, name),
          [&](char* buf, std::uint32_t seq) {
            nlmsghdr* nlh = header(buf, NFT_MSG_NEWSETELEM, f, NLM_F_CREATE | NLM_F_EXCL, seq);
            nftnl_set_elems_nlmsg_build_payload(nlh, chunk.get());
            return nlh;
          });
  }
}

void delete_set(Batch& b, Family f, const std::string& name) {
  SetPtr s = set_named(f, name);
  b.add("delete set " + object_name(f, name), [&](char* buf, std::uint32_t seq) {
    nlmsghdr* nlh = header(buf, NFT_MSG_DELSET, f, 0, seq);
    nftnl_set_nlmsg_build_payload(nlh, s.get());
    return nlh;
  });
}

namespace {

// daddr/saddr within a network: the address, masked to the prefix, compared.
void push_prefix_test(nftnl_rule* r, bool destination, const Cidr& net) {
  const Family f = net.family;
  const std::uint32_t offset = f == Family::v4 ? (destination ? kV4Daddr : kV4Saddr) : (destination ? kV6Daddr : kV6Saddr);
  push(r, payload_load(NFT_PAYLOAD_NETWORK_HEADER, offset, address_bytes(f)));
  std::array<std::uint8_t, 16> mask{}, zero{};
  for (unsigned bit = 0; bit < net.prefix_len; ++bit) mask[bit / 8] = static_cast<std::uint8_t>(mask[bit / 8] | (0x80u >> (bit % 8)));
  ExprPtr e = make_expr("bitwise");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, address_bytes(f));
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, mask.data(), address_bytes(f));
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, zero.data(), address_bytes(f));
  push(r, std::move(e));
  push(r, cmp(NFT_CMP_EQ, net.addr.data(), address_bytes(f)));  // host bits are zero already
}

// [iif/oifname] [mark != skip] [l4proto] [th dport] [th sport] [daddr @set] [saddr @set]
void push_fault_tests(nftnl_rule* r, const QueueRuleSpec& spec, std::optional<std::uint8_t> l4proto) {
  // Cheapest and most selective tests first: most packets leave on the device name.
  char name[IFNAMSIZ] = {};
  std::strncpy(name, spec.device.c_str(), IFNAMSIZ - 1);
  push(r, meta_load(spec.side == Direction::ingress ? NFT_META_IIFNAME : NFT_META_OIFNAME));
  push(r, cmp(NFT_CMP_EQ, name, IFNAMSIZ));
  if (spec.skip_mark != 0) {
    // The mark register holds the host-order u32.
    push(r, meta_load(NFT_META_MARK));
    push(r, cmp(NFT_CMP_NEQ, &spec.skip_mark, 4));
  }
  if (l4proto) {
    push(r, meta_load(NFT_META_L4PROTO));
    push(r, cmp(NFT_CMP_EQ, &*l4proto, 1));
  }
  if (spec.dport) push_port_test(r, 2, *spec.dport);
  if (spec.sport) push_port_test(r, 0, *spec.sport);
  if (spec.daddr) push_lookup(r, spec.family, true, *spec.daddr);
  if (spec.saddr) push_lookup(r, spec.family, false, *spec.saddr);
}

}  // namespace

void add_exclusion_rule(Batch& b, const QueueRuleSpec& spec, const ExclusionTest& test) {
  RulePtr r = rule_in(spec.family, spec.side, exclusion_comment(spec.queue, spec.side));
  push_fault_tests(r.get(), spec, test.l4proto);
  if (test.dport) push_port_test(r.get(), 2, *test.dport);
  if (test.sport) push_port_test(r.get(), 0, *test.sport);
  if (test.daddr) push_prefix_test(r.get(), true, *test.daddr);
  if (test.saddr) push_prefix_test(r.get(), false, *test.saddr);
  push(r.get(), make_expr("counter"));
  ExprPtr accept = make_expr("immediate");
  nftnl_expr_set_u32(accept.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(accept.get(), NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
  push(r.get(), std::move(accept));
  append_rule(b, spec.family, std::move(r),
              "add exclusion rule for queue " + std::to_string(spec.queue) + " to " +
                  object_name(spec.family, chain_name(spec.side)));
}

void add_queue_rule(Batch& b, const QueueRuleSpec& spec) {
  RulePtr r = rule_in(spec.family, spec.side, rule_comment(spec.queue, spec.side));
  push_fault_tests(r.get(), spec, spec.l4proto);
  push(r.get(), make_expr("counter"));
  push(r.get(), nfqueue_target(spec.queue));
  append_rule(b, spec.family, std::move(r),
              "add rule for queue " + std::to_string(spec.queue) + " to " + object_name(spec.family, chain_name(spec.side)));
}

void delete_rule(Batch& b, Family f, const std::string& chain, std::uint64_t handle) {
  RulePtr r = make_rule();
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, kTableName);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, nfproto(f));
  nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, handle);
  b.add("delete rule handle " + std::to_string(handle) + " from " + object_name(f, chain), [&](char* buf, std::uint32_t seq) {
    nlmsghdr* nlh = header(buf, NFT_MSG_DELRULE, f, 0, seq);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    return nlh;
  });
}

}  // namespace injector::nft
