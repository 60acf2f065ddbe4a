#include "daemon/tc/kernel_tc.h"

#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>

#include "daemon/tc/blackhole.h"
#include "daemon/tc/handles.h"
#include "daemon/tc/htb_root.h"
#include "daemon/tc/qdisc_dump.h"
#include "daemon/tc/u32_filter.h"

namespace injector::tc {
namespace {

}  // namespace

int KernelTc::ifindex(const std::string& device) { return nl::ifindex_of(device); }

RootQdisc KernelTc::root_qdisc(int ifindex) { return read_root_qdisc(sock_, ifindex); }

void KernelTc::install_root(int ifindex) { add_htb_root(sock_, ifindex); }

void KernelTc::remove_root(int ifindex) { delete_htb_root(sock_, ifindex); }

void KernelTc::install_cut(int ifindex, int slot, const std::vector<U32Rule>& rules) {
  nl::Batch batch(sock_);
  add_pass_through_class(batch, ifindex, slot_class(slot));
  add_blackhole_qdisc(batch, ifindex, slot_class(slot), slot_leaf_handle(slot));
  // Filters last: the kernel handles requests in order, so traffic is steered
  // only once the class that drops it exists.
  for (const auto& rule : rules) {
    add_u32_filter(batch, ifindex, slot_filter_prio(slot, rule.family == Family::v6), rule, slot_class(slot));
  }
  try {
    batch.commit();
  } catch (...) {
    remove_fault(ifindex, slot);
    throw;
  }
}

void KernelTc::remove_fault(int ifindex, int slot) {
  // Filters first, so no packet is steered to a class that is going away.
  delete_u32_filters(sock_, ifindex, slot_filter_prio(slot, false), Family::v4);
  delete_u32_filters(sock_, ifindex, slot_filter_prio(slot, true), Family::v6);
  auto cl = nl::owned(rtnl_class_alloc(), "class");
  rtnl_tc_set_ifindex(TC_CAST(cl.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cl.get()), root_handle());
  rtnl_tc_set_handle(TC_CAST(cl.get()), slot_class(slot));
  // Deleting the class deletes its leaf qdisc with it.
  const int rc = rtnl_class_delete(sock_.get(), cl.get());
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND) nl::check("delete fault class", rc);
}

FaultCounters KernelTc::counters(int ifindex, int slot) {
  FaultCounters c;
  for (const auto& q : dump_qdiscs(sock_, ifindex)) {
    if (q.handle == slot_leaf_handle(slot)) c.packets_dropped = q.drops;
  }
  return c;
}

std::vector<int> KernelTc::devices_with_our_root() {
  std::vector<int> out;
  for (const auto& q : dump_qdiscs(sock_)) {
    if (q.parent == TC_H_ROOT && is_our_root(q.handle)) out.push_back(q.ifindex);
  }
  return out;
}

}  // namespace injector::tc
