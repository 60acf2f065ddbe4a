#pragma once
// TcBackend over netlink (libnl-route) in the daemon's network namespace.

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
  void install_cut(int ifindex, int slot, const std::vector<U32Rule>& rules) override;
  void remove_fault(int ifindex, int slot) override;
  FaultCounters counters(int ifindex, int slot) override;
  std::vector<int> devices_with_our_root() override;

 private:
  nl::Socket sock_;
};

}  // namespace injector::tc
