#include "daemon/nft/nft_state.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>

#include "daemon/nft/nft_messages.h"
#include "daemon/nft/nft_objects.h"
#include "daemon/nft/queue_rules.h"
#include "daemon/nft/rule_plan.h"

namespace injector::nft {
namespace {

std::string str_or_empty(const char* s) { return s ? s : ""; }

// The table's comment, and whether it is our mark.
struct TableSeen {
  std::uint32_t family = 0;
  std::string name;
  std::string comment;
};

TableSeen parse_table(const nlmsghdr* nlh) {
  TablePtr t = make_table();
  if (nftnl_table_nlmsg_parse(nlh, t.get()) < 0) throw NftError("parse nf_tables table", EINVAL);
  TableSeen seen{nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY), str_or_empty(nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME)), {}};
  if (nftnl_table_is_set(t.get(), NFTNL_TABLE_USERDATA)) {
    std::uint32_t len = 0;
    const void* data = nftnl_table_get_data(t.get(), NFTNL_TABLE_USERDATA, &len);
    seen.comment = comment_from_userdata(data, len);
  }
  return seen;
}

std::vector<TableSeen> dump_tables(Socket& sock, std::uint16_t family) {
  alignas(nlmsghdr) char buf[kRequestBuffer];
  const nlmsghdr* req = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, family, NLM_F_DUMP, sock.next_seq());
  std::vector<TableSeen> tables;
  sock.request("list nf_tables tables", req, [&](const nlmsghdr* nlh) {
    TableSeen t = parse_table(nlh);
    if (t.name == kTableName) tables.push_back(std::move(t));
  });
  return tables;
}

std::set<std::string> dump_chains(Socket& sock, Family f) {
  alignas(nlmsghdr) char buf[kRequestBuffer];
  // The kernel dumps every chain of the family; the table is filtered here.
  const nlmsghdr* req = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, nfproto(f), NLM_F_DUMP, sock.next_seq());
  std::set<std::string> chains;
  sock.request(std::string("list chains of ") + family_name(f) + " " + kTableName, req, [&](const nlmsghdr* nlh) {
    ChainPtr c = make_chain();
    if (nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) throw NftError("parse nf_tables chain", EINVAL);
    if (str_or_empty(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE)) == kTableName) {
      chains.insert(str_or_empty(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME)));
    }
  });
  return chains;
}

std::vector<RuleInfo> dump_rules(Socket& sock, Family f) {
  alignas(nlmsghdr) char buf[kRequestBuffer];
  nlmsghdr* req = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, nfproto(f), NLM_F_DUMP, sock.next_seq());
  RulePtr filter = make_rule();
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, kTableName);  // the kernel dumps only this table
  nftnl_rule_nlmsg_build_payload(req, filter.get());
  std::vector<RuleInfo> rules;
  sock.request(std::string("list rules of ") + family_name(f) + " " + kTableName, req, [&](const nlmsghdr* nlh) {
    RulePtr r = make_rule();
    if (nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) throw NftError("parse nf_tables rule", EINVAL);
    if (str_or_empty(nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE)) != kTableName) return;
    RuleInfo info{str_or_empty(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)),
                  nftnl_rule_get_u64(r.get(), NFTNL_RULE_HANDLE), {}};
    if (nftnl_rule_is_set(r.get(), NFTNL_RULE_USERDATA)) {
      std::uint32_t len = 0;
      const void* data = nftnl_rule_get_data(r.get(), NFTNL_RULE_USERDATA, &len);
      info.comment = comment_from_userdata(data, len);
    }
    rules.push_back(std::move(info));
  });
  return rules;
}

std::vector<std::string> dump_sets(Socket& sock, Family f) {
  alignas(nlmsghdr) char buf[kRequestBuffer];
  nlmsghdr* req = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, nfproto(f), NLM_F_DUMP, sock.next_seq());
  SetPtr filter = make_set();
  nftnl_set_set_str(filter.get(), NFTNL_SET_TABLE, kTableName);
  nftnl_set_nlmsg_build_payload(req, filter.get());
  std::vector<std::string> sets;
  sock.request(std::string("list sets of ") + family_name(f) + " " + kTableName, req, [&](const nlmsghdr* nlh) {
    SetPtr s = make_set();
    if (nftnl_set_nlmsg_parse(nlh, s.get()) < 0) throw NftError("parse nf_tables set", EINVAL);
    if (str_or_empty(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) != kTableName) return;
    sets.push_back(str_or_empty(nftnl_set_get_str(s.get(), NFTNL_SET_NAME)));
  });
  return sets;
}

}  // namespace

TableState read_table(Socket& sock, Family f) {
  TableState state;
  for (const TableSeen& t : dump_tables(sock, nfproto(f))) {
    if (t.family != nfproto(f)) continue;
    state.exists = true;
    state.comment = t.comment;
    state.ours = t.comment == kOwnerMark;
  }
  if (!state.ours) return state;
  state.chains = dump_chains(sock, f);
  state.rules = dump_rules(sock, f);
  state.sets = dump_sets(sock, f);
  return state;
}

std::vector<Family> families_with_our_table(Socket& sock) {
  std::vector<Family> found;
  for (const TableSeen& t : dump_tables(sock, NFPROTO_UNSPEC)) {
    if (t.comment != kOwnerMark) continue;
    if (t.family == NFPROTO_IPV4) found.push_back(Family::v4);
    if (t.family == NFPROTO_IPV6) found.push_back(Family::v6);
  }
  return found;
}

}  // namespace injector::nft
