#pragma once
// TcBackend over netlink (libnl-route) in the daemon's network namespace.

#include <set>

#include "daemon/netlink/nl_socket.h"
#include "daemon/tc/tc_backend.h"

namespace injector::tc {

class KernelTc final : public TcBackend {
 public:
  KernelTc() = default;
  int ifindex(const std::string& device) override;
  RootQdisc root_qdisc(int ifindex) override;
  void install_root(int ifindex) override;
  void remove_root(int ifindex) override;
  void install_exclusions(int ifindex, const std::vector<U32Rule>& rules) override;
  void install_fault(int ifindex, int slot, const SlotPlan& plan, const std::vector<U32Rule>& rules,
                     bool ahead_of_exclusions) override;
  std::uint32_t change_fault(int ifindex, int slot, const SlotPlan& from, std::uint32_t leaf,
                             const SlotPlan& to) override;
  void remove_fault(int ifindex, int slot, bool ahead_of_exclusions) override;
  FaultCounters counters(int ifindex, std::uint32_t leaf) override;
  std::vector<int> devices_with_our_root() override;
  bool has_ingress_qdisc(int ifindex) override;
  int install_ingress(int ifindex) override;
  void remove_ingress(int ifindex) override;
  std::vector<int> devices_with_our_ifb() override;

 private:
  nl::Socket sock_;
  std::set<int> nd_exempt_;  // devices whose root of ours carries the ND exemption
};

}  // namespace injector::tc
