#include "daemon/tc/leaf.h"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "daemon/tc/netem.h"

namespace injector::tc {
namespace {

constexpr std::uint32_t kFifoLimit = 10'000;  // packets

int flags_for(LeafOp op) {
  switch (op) {
    case LeafOp::create: return NLM_F_CREATE | NLM_F_EXCL;
    case LeafOp::change: return 0;
    case LeafOp::replace: return NLM_F_CREATE | NLM_F_REPLACE;
  }
  return 0;
}

// A qdisc request: netlink header and tcmsg, nothing else yet.
MsgPtr qdisc_message(int type, int flags, int ifindex, std::uint32_t parent, std::uint32_t handle,
                     std::size_t capacity) {
  MsgPtr msg(nlmsg_alloc_size(capacity), &nlmsg_free);
  if (!msg || !nlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags)) {
    throw nl::NetlinkError("allocate qdisc message", -NLE_NOMEM);
  }
  tcmsg tcm{};
  tcm.tcm_family = AF_UNSPEC;
  tcm.tcm_ifindex = ifindex;
  tcm.tcm_parent = parent;
  tcm.tcm_handle = handle;
  nl::check("build qdisc message", nlmsg_append(msg.get(), &tcm, sizeof tcm, NLMSG_ALIGNTO));
  return msg;
}

}  // namespace

MsgPtr new_qdisc_message(int ifindex, std::uint32_t parent, std::uint32_t handle, const char* kind, LeafOp op,
                         std::size_t capacity) {
  MsgPtr msg = qdisc_message(RTM_NEWQDISC, flags_for(op), ifindex, parent, handle, capacity);
  nl::check("build qdisc message", nla_put_string(msg.get(), TCA_KIND, kind));
  return msg;
}

void delete_qdisc(const nl::Socket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle) {
  MsgPtr msg = qdisc_message(RTM_DELQDISC, 0, ifindex, parent, handle, 1024);
  const int rc = nl_send_sync(sock.get(), msg.release());
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_INVAL) nl::check("delete qdisc", rc);
}

void add_leaf(nl::Batch& batch, int ifindex, std::uint32_t parent, std::uint32_t handle, const SlotPlan& plan,
              LeafOp op) {
  switch (plan.leaf) {
    case LeafKind::netem:
      add_netem_qdisc(batch, ifindex, parent, handle, plan.netem, op);
      return;
    case LeafKind::blackhole:
      batch.add(new_qdisc_message(ifindex, parent, handle, "blackhole", op).release(), "add blackhole qdisc");
      return;
    case LeafKind::fifo: {
      auto msg = new_qdisc_message(ifindex, parent, handle, "pfifo", op);
      const tc_fifo_qopt opt{kFifoLimit};
      nl::check("build pfifo qdisc", nla_put(msg.get(), TCA_OPTIONS, sizeof opt, &opt));
      batch.add(msg.release(), "add pfifo qdisc");
      return;
    }
  }
}

}  // namespace injector::tc
