#include "daemon/tc/kernel_tc.h"

#include <algorithm>

#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>

#include "daemon/tc/handles.h"
#include "daemon/tc/htb_root.h"
#include "daemon/tc/ingress.h"
#include "daemon/tc/leaf.h"
#include "daemon/tc/qdisc_dump.h"
#include "daemon/tc/u32_filter.h"
#include "daemon/tc/u32_hash.h"

namespace injector::tc {
namespace {

}  // namespace

int KernelTc::ifindex(const std::string& device) { return nl::ifindex_of(device); }

RootQdisc KernelTc::root_qdisc(int ifindex) { return read_root_qdisc(sock_, ifindex); }

void KernelTc::install_root(int ifindex) {
  nd_exempt_.erase(ifindex);  // a new root starts without it
  add_htb_root(sock_, ifindex);
}

void KernelTc::remove_root(int ifindex) { delete_htb_root(sock_, ifindex); }

void KernelTc::install_exclusions(int ifindex, const std::vector<U32Rule>& rules) {
  if (rules.empty()) return;
  nl::Batch batch(sock_);
  add_exclusion_filters(batch, ifindex, rules);
  batch.commit();  // on failure the caller removes the root, and these with it
}

void KernelTc::install_fault(int ifindex, int slot, const SlotPlan& plan, const std::vector<U32Rule>& rules,
                             bool ahead_of_exclusions) {
  nl::Batch batch(sock_);
  const bool needs_nd = std::any_of(rules.begin(), rules.end(), [](const U32Rule& r) { return r.family == Family::v6; });
  if (needs_nd && !nd_exempt_.count(ifindex)) add_nd_exemption(batch, ifindex);
  add_htb_class(batch, ifindex, slot_class(slot), plan.rate_bytes, plan.burst_bytes, false);
  add_leaf(batch, ifindex, slot_class(slot), slot_leaf_handle(slot), plan, LeafOp::create);
  // Filters last: the kernel handles requests in order, so traffic is steered
  // only once the class and leaf that impair it exist.
  add_slot_filters(batch, ifindex, slot, rules, slot_class(slot), ahead_of_exclusions);
  try {
    batch.commit();
  } catch (...) {
    remove_fault(ifindex, slot, ahead_of_exclusions);
    throw;
  }
  if (needs_nd) nd_exempt_.insert(ifindex);  // it stays until the root goes
}

std::uint32_t KernelTc::change_fault(int ifindex, int slot, const SlotPlan& from, std::uint32_t leaf,
                                     const SlotPlan& to) {
  nl::Batch batch(sock_);
  if (from.rate_bytes != to.rate_bytes || from.burst_bytes != to.burst_bytes) {
    add_htb_class(batch, ifindex, slot_class(slot), to.rate_bytes, to.burst_bytes, true);
  }
  std::uint32_t new_leaf = leaf;
  // The kernel will not change a qdisc's kind under the same handle, and a netem
  // change without a distribution table keeps the old table: graft a new leaf then.
  const bool regraft = from.leaf != to.leaf || from.netem.distribution != to.netem.distribution;
  if (regraft) {
    new_leaf = other_leaf_handle(leaf);
    add_leaf(batch, ifindex, slot_class(slot), new_leaf, to, LeafOp::replace);
  } else if (to.leaf == LeafKind::netem && from.netem != to.netem) {
    add_leaf(batch, ifindex, slot_class(slot), leaf, to, LeafOp::change);
  }
  batch.commit();
  return new_leaf;
}

void KernelTc::remove_fault(int ifindex, int slot, bool ahead_of_exclusions) {
  // Filters first, so no packet is steered to a class that is going away.
  delete_u32_filters(sock_, ifindex, slot_filter_prio(slot, false, ahead_of_exclusions), Family::v4);
  delete_u32_filters(sock_, ifindex, slot_filter_prio(slot, true, ahead_of_exclusions), Family::v6);
  auto cl = nl::owned(rtnl_class_alloc(), "class");
  rtnl_tc_set_ifindex(TC_CAST(cl.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cl.get()), root_handle());
  rtnl_tc_set_handle(TC_CAST(cl.get()), slot_class(slot));
  // Deleting the class deletes its leaf qdisc with it.
  const int rc = rtnl_class_delete(sock_.get(), cl.get());
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND) nl::check("delete fault class", rc);
}

FaultCounters KernelTc::counters(int ifindex, std::uint32_t leaf) {
  FaultCounters c;
  for (const auto& q : dump_qdiscs(sock_, ifindex)) {
    if (q.handle == leaf) c = {q.packets, q.bytes, q.drops};
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

bool KernelTc::has_ingress_qdisc(int ifindex) { return tc::has_ingress_qdisc(sock_, ifindex); }

int KernelTc::install_ingress(int ifindex) {
  const int ifb = add_ifb(sock_, ifindex);
  nd_exempt_.erase(ifb);
  try {
    add_htb_root(sock_, ifb);
    add_ingress_redirect(sock_, ifindex, ifb);
  } catch (...) {
    delete_ifb(sock_, ifindex);
    throw;
  }
  return ifb;
}

void KernelTc::remove_ingress(int ifindex) {
  // Redirect first, so no packet is sent to an ifb that is going away.
  delete_ingress_qdisc(sock_, ifindex);
  delete_ifb(sock_, ifindex);
}

std::vector<int> KernelTc::devices_with_our_ifb() {
  std::vector<int> out;
  for (const auto& [name, index] : nl::list_links()) {
    if (name.rfind("ifbfa17-", 0) == 0) out.push_back(std::stoi(name.substr(8)));
  }
  return out;
}

}  // namespace injector::tc
