#pragma once
// The seam between fault logic and the kernel (as in Katran): the engine talks
// to this interface, KernelTc implements it over netlink, and unit tests use a
// fake, so everything above the netlink calls is tested without root.
//
// Every install is all-or-nothing: on failure it removes what it made and throws.

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/tc/u32_keys.h"

namespace injector::tc {

enum class RootOwner { kernel_default, ours, foreign };

struct RootQdisc {
  RootOwner owner = RootOwner::kernel_default;
  std::string kind;  // "noqueue", "pfifo_fast", "htb", ...
  std::uint32_t handle = 0;
};

struct FaultCounters {
  std::uint64_t packets_dropped = 0;
};

class TcBackend {
 public:
  virtual ~TcBackend() = default;
  virtual int ifindex(const std::string& device) = 0;  // 0 when the device does not exist
  virtual RootQdisc root_qdisc(int ifindex) = 0;
  virtual void install_root(int ifindex) = 0;  // HTB root, pass class, ND exemption
  virtual void remove_root(int ifindex) = 0;   // the kernel then re-attaches its default
  virtual void install_cut(int ifindex, int slot, const std::vector<U32Rule>& rules) = 0;
  virtual void remove_fault(int ifindex, int slot) = 0;
  virtual FaultCounters counters(int ifindex, int slot) = 0;
  virtual std::vector<int> devices_with_our_root() = 0;
};

}  // namespace injector::tc
