#include "daemon/tc/ingress.h"

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>

#include "daemon/netlink/batch.h"
#include "daemon/tc/leaf.h"
#include "daemon/tc/qdisc_dump.h"

namespace injector::tc {
namespace {

constexpr std::uint32_t kIngressHandle = TC_H_MAKE(TC_H_INGRESS, 0);  // ffff:

struct ActPut {
  void operator()(rtnl_act* a) const noexcept { rtnl_act_put(a); }
};

void add_redirect_filter(nl::Batch& batch, int ifindex, int ifb_ifindex) {
  auto cls = nl::owned(rtnl_cls_alloc(), "redirect filter");
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls.get()), kIngressHandle);
  nl::check("set filter kind u32", rtnl_tc_set_kind(TC_CAST(cls.get()), "u32"));
  rtnl_cls_set_prio(cls.get(), kRedirectPrio);
  rtnl_cls_set_protocol(cls.get(), ETH_P_ALL);  // ARP too: the ifb tree passes it untouched
  nl::check("add match-all key", rtnl_u32_add_key(cls.get(), 0, 0, 0, 0));
  std::unique_ptr<rtnl_act, ActPut> act(rtnl_act_alloc());
  if (!act) throw nl::NetlinkError("allocate mirred action", -NLE_NOMEM);
  nl::check("set action kind mirred", rtnl_tc_set_kind(TC_CAST(act.get()), "mirred"));
  nl::check("set mirred redirect", rtnl_mirred_set_action(act.get(), TCA_EGRESS_REDIR));
  nl::check("set mirred policy", rtnl_mirred_set_policy(act.get(), TC_ACT_STOLEN));
  nl::check("set mirred target", rtnl_mirred_set_ifindex(act.get(), static_cast<std::uint32_t>(ifb_ifindex)));
  nl::check("attach mirred action", rtnl_u32_add_action(cls.get(), act.get()));
  // u32 runs a match's actions only on a terminal match (tc sets this for "action ...").
  nl::check("set u32 terminal", rtnl_u32_set_cls_terminal(cls.get()));
  nl_msg* msg = nullptr;
  nl::check("build redirect filter", rtnl_cls_build_add_request(cls.get(), NLM_F_CREATE | NLM_F_EXCL, &msg));
  batch.add(msg, "add ingress redirect filter");
}

}  // namespace

std::string ifb_name(int device_ifindex) { return "ifbfa17-" + std::to_string(device_ifindex); }

bool has_ingress_qdisc(const nl::Socket& sock, int ifindex) {
  for (const auto& q : dump_qdiscs(sock, ifindex)) {
    if (q.parent == TC_H_INGRESS) return true;  // ingress and clsact both sit there
  }
  return false;
}

int add_ifb(const nl::Socket& sock, int device_ifindex) {
  auto link = nl::owned(rtnl_link_alloc(), "link");
  rtnl_link_set_name(link.get(), ifb_name(device_ifindex).c_str());
  nl::check("set link type ifb", rtnl_link_set_type(link.get(), "ifb"));
  rtnl_link_set_flags(link.get(), IFF_UP);
  nl::check("create " + ifb_name(device_ifindex), rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL));
  const int ifb = nl::ifindex_of(ifb_name(device_ifindex));
  if (ifb == 0) throw nl::NetlinkError("find " + ifb_name(device_ifindex) + " after creating it", -NLE_OBJ_NOTFOUND);
  return ifb;
}

void delete_ifb(const nl::Socket& sock, int device_ifindex) {
  auto link = nl::owned(rtnl_link_alloc(), "link");
  rtnl_link_set_name(link.get(), ifb_name(device_ifindex).c_str());
  const int rc = rtnl_link_delete(sock.get(), link.get());
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV) nl::check("delete " + ifb_name(device_ifindex), rc);
}

void add_ingress_redirect(const nl::Socket& sock, int ifindex, int ifb_ifindex) {
  nl::Batch batch(sock);
  batch.add(new_qdisc_message(ifindex, TC_H_INGRESS, kIngressHandle, "ingress", LeafOp::create).release(),
            "add ingress qdisc");
  add_redirect_filter(batch, ifindex, ifb_ifindex);
  try {
    batch.commit();
  } catch (...) {
    delete_ingress_qdisc(sock, ifindex);
    throw;
  }
}

void delete_ingress_qdisc(const nl::Socket& sock, int ifindex) {
  delete_qdisc(sock, ifindex, TC_H_INGRESS, kIngressHandle);
}

}  // namespace injector::tc
