#include "daemon/tc/u32_filter.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "daemon/tc/handles.h"
#include "daemon/tc/u32_hash.h"

namespace injector::tc {
namespace {

nl::Ptr<rtnl_cls> u32_on_root(int ifindex, std::uint16_t prio, Family family) {
  auto cls = nl::owned(rtnl_cls_alloc(), "u32 filter");
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls.get()), root_handle());
  nl::check("set filter kind u32", rtnl_tc_set_kind(TC_CAST(cls.get()), "u32"));
  rtnl_cls_set_prio(cls.get(), prio);
  rtnl_cls_set_protocol(cls.get(), family == Family::v4 ? ETH_P_IP : ETH_P_IPV6);
  return cls;
}

// u32 handles are htid (12 bits) : bucket (8 bits) : node (12 bits).
std::uint32_t u32_handle(std::uint32_t htid, std::uint32_t bucket = 0) { return (htid << 20) | (bucket << 12); }

// tc_u32_sel ends in a flexible array of keys, so it is laid out by hand.
std::vector<std::uint8_t> selector(const U32Rule& rule) {
  std::vector<std::uint8_t> sel(sizeof(tc_u32_sel) + rule.keys.size() * sizeof(tc_u32_key));
  tc_u32_sel head{};
  head.flags = TC_U32_TERMINAL;  // like tc's "flowid": a match ends classification here
  head.nkeys = static_cast<unsigned char>(rule.keys.size());
  std::memcpy(sel.data(), &head, sizeof head);
  for (std::size_t i = 0; i < rule.keys.size(); ++i) {
    const U32Key& k = rule.keys[i];
    const tc_u32_key key{k.mask, k.value & k.mask, k.offset, 0};
    std::memcpy(sel.data() + sizeof head + i * sizeof key, &key, sizeof key);
  }
  return sel;
}

void put_rule_request(nl_msg* msg, int ifindex, std::uint16_t prio, const U32Rule& rule, std::uint32_t classid,
                      std::optional<U32Bucket> where) {
  const char* what = "build u32 filter";
  if (!nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, RTM_NEWTFILTER, 0, NLM_F_CREATE)) nl::check(what, -NLE_NOMEM);
  tcmsg tcm{};
  tcm.tcm_family = AF_UNSPEC;
  tcm.tcm_ifindex = ifindex;
  tcm.tcm_parent = root_handle();
  if (where && where->node) tcm.tcm_handle = u32_handle(where->htid, where->bucket) | where->node;
  tcm.tcm_info = TC_H_MAKE(std::uint32_t{prio} << 16, htons(rule.family == Family::v4 ? ETH_P_IP : ETH_P_IPV6));
  nl::check(what, nlmsg_append(msg, &tcm, sizeof tcm, NLMSG_ALIGNTO));
  nl::check(what, nla_put_string(msg, TCA_KIND, "u32"));
  nlattr* opts = nla_nest_start(msg, TCA_OPTIONS);
  if (!opts) nl::check(what, -NLE_NOMEM);
  // The attributes, and their order, of libnl's u32 encoder.
  if (where) nl::check(what, nla_put_u32(msg, TCA_U32_HASH, u32_handle(where->htid, where->bucket)));
  nl::check(what, nla_put_u32(msg, TCA_U32_CLASSID, classid));
  const auto sel = selector(rule);
  nl::check(what, nla_put(msg, TCA_U32_SEL, static_cast<int>(sel.size()), sel.data()));
  nl::check(what, nla_nest_end(msg, opts));
}

bool is_missing(int rc) { return rc == -NLE_OBJ_NOTFOUND || rc == -NLE_INVAL; }

// One synchronous RTM_DELTFILTER: the filter `handle` at (prio, family), or the
// whole priority when handle is 0. Returns libnl's code.
int delete_filter(const nl::Socket& sock, int ifindex, std::uint16_t prio, Family family, std::uint32_t handle) {
  auto cls = u32_on_root(ifindex, prio, family);
  if (handle != 0) rtnl_tc_set_handle(TC_CAST(cls.get()), handle);
  return rtnl_cls_delete(sock.get(), cls.get(), 0);
}

// A u32 hash table belongs to the qdisc's shared u32 state, not to the priority
// it was made at: deleting the priority leaves the table and its filters behind,
// still bound to the slot's class (which HTB then refuses to delete: "in use"),
// and reachable by handle only through some u32 chain on the qdisc. So give the
// priority an empty chain again, delete the table through it, and drop the chain.
void delete_u32_hash_table(const nl::Socket& sock, int ifindex, std::uint16_t prio, Family family,
                           std::uint32_t htid) {
  const std::string what = "delete u32 hash table " + std::to_string(htid) + " (prio " + std::to_string(prio) + ")";
  auto empty = u32_on_root(ifindex, prio, family);
  // No options at all: the kernel creates the chain (with its empty root table) and nothing else.
  const int made = rtnl_cls_add(sock.get(), empty.get(), NLM_F_CREATE);
  if (made < 0) {
    if (is_missing(made)) return;  // no root qdisc (or device) any more: nothing of ours left
    nl::check(what + ": recreate chain", made);
  }
  // The link filter's reference on the table is dropped by deferred kernel work
  // after an RCU grace period (some 10-40 ms here), so the table stays "in use"
  // (EBUSY) for a while after its link went away. Polling is cheap next to that.
  using namespace std::chrono_literals;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  auto pause = std::chrono::microseconds(100);
  int rc = delete_filter(sock, ifindex, prio, family, u32_handle(htid));
  while (rc == -NLE_BUSY && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, 2ms);
    rc = delete_filter(sock, ifindex, prio, family, u32_handle(htid));
  }
  const int dropped = delete_filter(sock, ifindex, prio, family, 0);
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND) nl::check(what, rc);  // not found: the slot was linear
  if (dropped < 0 && !is_missing(dropped)) nl::check(what + ": drop chain", dropped);
}

}  // namespace

nl_msg* build_u32_rule_request(int ifindex, std::uint16_t prio, const U32Rule& rule, std::uint32_t classid,
                               std::optional<U32Bucket> where) {
  // Room for the headers, kind, hash, classid and selector attributes (about 100 bytes) and the keys.
  constexpr std::size_t kFixed = 160;
  nl_msg* msg = nlmsg_alloc_size(kFixed + rule.keys.size() * sizeof(tc_u32_key));
  if (!msg) nl::check("allocate u32 filter request", -NLE_NOMEM);
  try {
    put_rule_request(msg, ifindex, prio, rule, classid, where);
  } catch (...) {
    nlmsg_free(msg);
    throw;
  }
  return msg;
}

void add_u32_filter(nl::Batch& batch, int ifindex, std::uint16_t prio, const U32Rule& rule,
                    std::uint32_t classid) {
  batch.add(build_u32_rule_request(ifindex, prio, rule, classid, std::nullopt),
            "add u32 filter (prio " + std::to_string(prio) + ")");
}

void add_u32_hash_table(nl::Batch& batch, int ifindex, std::uint16_t prio, Family family, std::uint32_t htid,
                        std::uint32_t divisor) {
  auto cls = u32_on_root(ifindex, prio, family);
  rtnl_tc_set_handle(TC_CAST(cls.get()), u32_handle(htid));
  nl::check("set u32 divisor", rtnl_u32_set_divisor(cls.get(), divisor));
  nl_msg* msg = nullptr;
  // EXCL: a table left over under our id must fail loudly rather than be reused.
  nl::check("build u32 hash table", rtnl_cls_build_add_request(cls.get(), NLM_F_CREATE | NLM_F_EXCL, &msg));
  batch.add(msg, "add u32 hash table " + std::to_string(htid) + " (prio " + std::to_string(prio) + ")");
}

void add_u32_filter_in_bucket(nl::Batch& batch, int ifindex, std::uint16_t prio, const U32Rule& rule,
                              std::uint32_t classid, const U32Bucket& where) {
  // The table and bucket are tc's "ht H:B:", the node id its "handle H:B:N".
  batch.add(build_u32_rule_request(ifindex, prio, rule, classid, where),
            "add u32 filter to table " + std::to_string(where.htid) + " (prio " + std::to_string(prio) + ")");
}

void add_u32_hash_link(nl::Batch& batch, int ifindex, std::uint16_t prio, Family family, std::uint32_t htid,
                       int hash_offset, std::uint32_t host_hash_mask) {
  // No hash table attribute: it then goes into this priority's own root table.
  // (Naming the root by id would be wrong: ids are shared across priorities.)
  auto cls = u32_on_root(ifindex, prio, family);
  nl::check("set u32 hash key",
            rtnl_u32_set_hashmask(cls.get(), host_hash_mask, static_cast<std::uint32_t>(hash_offset)));
  // One always-true key: it also makes libnl send the selector that carries the hash key.
  nl::check("add u32 key", rtnl_u32_add_key(cls.get(), 0, 0, hash_offset, 0));
  nl::check("set u32 link", rtnl_u32_set_link(cls.get(), u32_handle(htid)));
  nl_msg* msg = nullptr;
  nl::check("build u32 hash link", rtnl_cls_build_add_request(cls.get(), NLM_F_CREATE, &msg));
  batch.add(msg, "add u32 hash link to table " + std::to_string(htid) + " (prio " + std::to_string(prio) + ")");
}

void delete_u32_filters(const nl::Socket& sock, int ifindex, std::uint16_t prio, Family family) {
  const int rc = delete_filter(sock, ifindex, prio, family, 0);
  if (rc < 0 && !is_missing(rc)) nl::check("delete u32 filters (prio " + std::to_string(prio) + ")", rc);
  if (const auto htid = hash_table_for_prio(prio)) delete_u32_hash_table(sock, ifindex, prio, family, *htid);
}

}  // namespace injector::tc
