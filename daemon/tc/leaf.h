#pragma once
// A fault slot's leaf qdisc: blackhole (cut), netem (delay, loss, ...) or a
// plain pfifo (pass; bandwidth is the class's job). Messages are built by
// hand: libnl has no ops for "blackhole" (rtnl_tc_set_kind aborts) and cannot
// express all of netem, so one small path serves every leaf kind.

#include <netlink/msg.h>

#include <cstdint>
#include <memory>

#include "daemon/netlink/batch.h"
#include "daemon/tc/slot_plan.h"

namespace injector::tc {

enum class LeafOp : std::uint8_t {
  create,   // a new leaf under a new class (NLM_F_CREATE | NLM_F_EXCL)
  change,   // same kind, same handle: new parameters, queue kept (no flags)
  replace,  // graft a new leaf (new handle, maybe new kind) in place of the old one
};

using MsgPtr = std::unique_ptr<nl_msg, decltype(&nlmsg_free)>;

// RTM_NEWQDISC with a tcmsg and TCA_KIND filled in; the caller adds TCA_OPTIONS.
// `capacity` is the message buffer's size: netem's distribution table alone is 8 KiB.
MsgPtr new_qdisc_message(int ifindex, std::uint32_t parent, std::uint32_t handle, const char* kind, LeafOp op,
                         std::size_t capacity = 4096);

// RTM_DELQDISC for one qdisc; a missing one is not an error.
void delete_qdisc(const nl::Socket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle);

void add_leaf(nl::Batch& batch, int ifindex, std::uint32_t parent, std::uint32_t handle, const SlotPlan& plan,
              LeafOp op);

}  // namespace injector::tc
