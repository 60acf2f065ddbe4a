#include "daemon/tc/htb_root.h"

#include <linux/pkt_sched.h>

#include <algorithm>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>

#include "daemon/tc/handles.h"
#include "daemon/tc/qdisc_dump.h"
#include "daemon/tc/u32_filter.h"

namespace injector::tc {
namespace {

constexpr std::uint64_t kUnlimitedBytesPerSec = 100'000'000'000ull / 8;  // 100 Gbit/s
constexpr std::uint32_t kQuantum = 200'000;  // HTB's own upper clamp; set so it does not warn

nl::Ptr<rtnl_qdisc> root_qdisc_object(int ifindex) {
  auto q = nl::owned(rtnl_qdisc_alloc(), "qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(q.get()), root_handle());
  return q;
}

}  // namespace

RootQdisc read_root_qdisc(const nl::Socket& sock, int ifindex) {
  RootQdisc root;  // no root at all counts as the kernel's default
  for (const auto& q : dump_qdiscs(sock, ifindex)) {
    if (q.parent != TC_H_ROOT) continue;
    root.kind = q.kind;
    root.handle = q.handle;
    if (is_our_root(q.handle)) {
      root.owner = RootOwner::ours;
    } else if (q.handle != 0) {
      root.owner = RootOwner::foreign;
    }
  }
  return root;
}

void add_htb_class(nl::Batch& batch, int ifindex, std::uint32_t classid, std::optional<std::uint64_t> rate_bytes,
                   std::uint32_t burst_bytes, bool change) {
  auto cl = nl::owned(rtnl_class_alloc(), "class");
  rtnl_tc_set_ifindex(TC_CAST(cl.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cl.get()), root_handle());
  rtnl_tc_set_handle(TC_CAST(cl.get()), classid);
  nl::check("set class kind htb", rtnl_tc_set_kind(TC_CAST(cl.get()), "htb"));
  const std::uint64_t rate = rate_bytes.value_or(kUnlimitedBytesPerSec);
  nl::check("set htb rate", rtnl_htb_set_rate64(cl.get(), rate));
  nl::check("set htb ceil", rtnl_htb_set_ceil64(cl.get(), rate));
  // HTB's quantum must sit between 1 MTU and 200,000 bytes or the kernel warns.
  nl::check("set htb quantum", rtnl_htb_set_quantum(cl.get(), static_cast<std::uint32_t>(std::clamp<std::uint64_t>(rate / 10, 1'600, kQuantum))));
  if (burst_bytes) {
    nl::check("set htb burst", rtnl_htb_set_rbuffer(cl.get(), burst_bytes));
    nl::check("set htb cburst", rtnl_htb_set_cbuffer(cl.get(), burst_bytes));
  }
  nl_msg* msg = nullptr;
  nl::check("build htb class", rtnl_class_build_add_request(cl.get(), change ? 0 : NLM_F_CREATE | NLM_F_EXCL, &msg));
  batch.add(msg, change ? "change htb class" : "add htb class");
}

void add_htb_root(const nl::Socket& sock, int ifindex) {
  auto q = root_qdisc_object(ifindex);
  nl::check("set qdisc kind htb", rtnl_tc_set_kind(TC_CAST(q.get()), "htb"));
  // No default class: unmatched packets go to the direct queue.
  nl::check("set htb default class", rtnl_htb_set_defcls(q.get(), 0));
  // NLM_F_EXCL without NLM_F_REPLACE: if anyone else got a root in first, fail instead of replacing it.
  nl::check("add htb root qdisc fa17:", rtnl_qdisc_add(sock.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL));
}

void add_nd_exemption(nl::Batch& batch, int ifindex) {
  for (const auto& rule : neighbour_discovery_rules()) add_u32_filter(batch, ifindex, kNdExemptPrio, rule, pass_flow());
}

void add_exclusion_filters(nl::Batch& batch, int ifindex, const std::vector<U32Rule>& rules) {
  for (const auto& rule : rules) {
    const auto prio = static_cast<std::uint16_t>(kExclusionPrio + (rule.family == Family::v6 ? 1 : 0));
    add_u32_filter(batch, ifindex, prio, rule, pass_flow());
  }
}

void delete_htb_root(const nl::Socket& sock, int ifindex) {
  // Deleting the root removes every class, leaf and filter under it in one step.
  auto q = root_qdisc_object(ifindex);
  const int rc = rtnl_qdisc_delete(sock.get(), q.get());
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_INVAL) nl::check("delete htb root qdisc fa17:", rc);
}

}  // namespace injector::tc
