#pragma once
// The seam between fault logic and the kernel (as in Katran): the engine talks
// to this interface, KernelTc implements it over netlink, and unit tests use a
// fake, so everything above the netlink calls is tested without root.
//
// Every install is all-or-nothing: on failure it removes what it made and throws.

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/tc/slot_plan.h"
#include "daemon/tc/u32_keys.h"

namespace injector::tc {

enum class RootOwner { kernel_default, ours, foreign };

struct RootQdisc {
  RootOwner owner = RootOwner::kernel_default;
  std::string kind;  // "noqueue", "pfifo_fast", "htb", ...
  std::uint32_t handle = 0;
};

// From the leaf qdisc: what it passed on and what it dropped.
struct FaultCounters {
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_dropped = 0;
};

class TcBackend {
 public:
  virtual ~TcBackend() = default;
  virtual int ifindex(const std::string& device) = 0;  // 0 when the device does not exist
  virtual RootQdisc root_qdisc(int ifindex) = 0;
  virtual void install_root(int ifindex) = 0;  // HTB root (unmatched traffic: its direct queue)
  virtual void remove_root(int ifindex) = 0;   // the kernel then re-attaches its default
  // The control-path exclusions on a root of ours (after install_root or
  // install_ingress, before any fault): matching packets go to HTB's direct queue
  // ahead of every fault's filters except those installed ahead_of_exclusions.
  virtual void install_exclusions(int ifindex, const std::vector<U32Rule>& rules) = 0;
  // A class shaped as planned, its leaf (handle slot_leaf_handle(slot)), then the
  // filters: behind the exclusions, or ahead of them for a fault that opted out.
  virtual void install_fault(int ifindex, int slot, const SlotPlan& plan, const std::vector<U32Rule>& rules,
                             bool ahead_of_exclusions) = 0;
  // Moves a live slot to another plan, filters untouched, traffic never unsteered:
  // netem parameters change in place; another leaf kind is grafted over the old
  // one. Returns the leaf's handle afterwards.
  virtual std::uint32_t change_fault(int ifindex, int slot, const SlotPlan& from, std::uint32_t leaf,
                                     const SlotPlan& to) = 0;
  virtual void remove_fault(int ifindex, int slot, bool ahead_of_exclusions) = 0;
  virtual FaultCounters counters(int ifindex, std::uint32_t leaf) = 0;
  virtual std::vector<int> devices_with_our_root() = 0;

  // Ingress: an ifb of ours carrying our HTB root, fed by a redirect from the
  // device's ingress. install_ingress returns the ifb's ifindex, where faults
  // are then installed like on any device.
  virtual bool has_ingress_qdisc(int ifindex) = 0;
  virtual int install_ingress(int ifindex) = 0;
  virtual void remove_ingress(int ifindex) = 0;  // the redirect and the ifb, with all on it
  virtual std::vector<int> devices_with_our_ifb() = 0;
};

}  // namespace injector::tc
