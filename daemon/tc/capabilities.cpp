#include "daemon/tc/capabilities.h"

#include <linux/pkt_sched.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>

#include <functional>

#include "daemon/delayline/probe.h"
#include "daemon/netlink/batch.h"
#include "daemon/netlink/private_netns.h"
#include "daemon/tc/handles.h"
#include "daemon/tc/htb_root.h"
#include "daemon/tc/ingress.h"
#include "daemon/tc/leaf.h"
#include "daemon/tc/netem.h"
#include "daemon/tc/u32_filter.h"

namespace injector::tc {
namespace {

bool works(const nl::Socket& sock, const std::function<void(nl::Batch&)>& build) {
  try {
    nl::Batch batch(sock);
    build(batch);
    batch.commit();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool qdisc_kind_works(const nl::Socket& sock, const char* kind, std::uint32_t parent, std::uint32_t handle) {
  const bool ok = works(sock, [&](nl::Batch& b) {
    b.add(new_qdisc_message(nl::kPrivateLoopback, parent, handle, kind, LeafOp::create).release(), kind);
  });
  delete_qdisc(sock, nl::kPrivateLoopback, parent, handle);
  return ok;
}

bool htb_works(const nl::Socket& sock) {
  auto q = nl::owned(rtnl_qdisc_alloc(), "qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q.get()), nl::kPrivateLoopback);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(q.get()), root_handle());
  if (rtnl_tc_set_kind(TC_CAST(q.get()), "htb") < 0) return false;
  const bool ok = rtnl_qdisc_add(sock.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL) >= 0;
  delete_htb_root(sock, nl::kPrivateLoopback);
  return ok;
}

bool ifb_works(const nl::Socket& sock) {
  auto link = nl::owned(rtnl_link_alloc(), "link");
  rtnl_link_set_name(link.get(), "injprobe0");
  if (rtnl_link_set_type(link.get(), "ifb") < 0) return false;
  if (rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL) < 0) return false;
  rtnl_link_delete(sock.get(), link.get());
  return true;
}

// The whole ingress path: an ifb of ours and a redirect to it from lo's ingress.
bool mirred_works(const nl::Socket& sock) {
  try {
    const int ifb = add_ifb(sock, nl::kPrivateLoopback);
    add_ingress_redirect(sock, nl::kPrivateLoopback, ifb);
    delete_ingress_qdisc(sock, nl::kPrivateLoopback);
    delete_ifb(sock, nl::kPrivateLoopback);
    return true;
  } catch (const std::exception&) {
    delete_ifb(sock, nl::kPrivateLoopback);
    return false;
  }
}

Capabilities probe_here() {
  nl::Socket sock;
  Capabilities caps;
  auto& f = caps.features;
  f["sch_htb"] = htb_works(sock);
  // Our root with its u32 exemption filters: exactly what every fault needs.
  try {
    add_htb_root(sock, nl::kPrivateLoopback);
    nl::Batch batch(sock);
    add_nd_exemption(batch, nl::kPrivateLoopback);
    batch.commit();
    f["cls_u32"] = true;
  } catch (const std::exception&) {
    f["cls_u32"] = false;
  }
  delete_htb_root(sock, nl::kPrivateLoopback);
  f["sch_blackhole"] = qdisc_kind_works(sock, "blackhole", TC_H_ROOT, root_handle());
  f["sch_netem"] = works(sock, [](nl::Batch& b) { add_netem_qdisc(b, nl::kPrivateLoopback, TC_H_ROOT, root_handle(), NetemParams{}, LeafOp::create); });
  delete_htb_root(sock, nl::kPrivateLoopback);
  f["sch_ingress"] = qdisc_kind_works(sock, "ingress", TC_H_INGRESS, TC_H_MAKE(TC_H_INGRESS, 0));
  f["sch_clsact"] = qdisc_kind_works(sock, "clsact", TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0));
  f["ifb"] = ifb_works(sock);
  f["act_mirred"] = mirred_works(sock);
  delayline::probe_delay_line(f);
  return caps;
}

}  // namespace

Capabilities probe_capabilities() { return nl::run_in_private_netns("the capability probe", probe_here); }

}  // namespace injector::tc
