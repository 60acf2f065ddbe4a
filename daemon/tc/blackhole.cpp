#include "daemon/tc/blackhole.h"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include <memory>

namespace injector::tc {

void add_blackhole_qdisc(nl::Batch& batch, int ifindex, std::uint32_t parent, std::uint32_t handle) {
  std::unique_ptr<nl_msg, decltype(&nlmsg_free)> msg(
      nlmsg_alloc_simple(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL), &nlmsg_free);
  if (!msg) throw nl::NetlinkError("allocate blackhole qdisc message", -NLE_NOMEM);
  tcmsg tcm{};
  tcm.tcm_family = AF_UNSPEC;
  tcm.tcm_ifindex = ifindex;
  tcm.tcm_parent = parent;
  tcm.tcm_handle = handle;
  nl::check("build blackhole qdisc message", nlmsg_append(msg.get(), &tcm, sizeof tcm, NLMSG_ALIGNTO));
  nl::check("build blackhole qdisc message", nla_put_string(msg.get(), TCA_KIND, "blackhole"));
  batch.add(msg.release(), "add blackhole qdisc");
}

}  // namespace injector::tc
