#pragma once
// Keeps the kernel's software tc classification switched on while the daemon
// runs.
//
// Since Linux 6.14, software tc filters sit behind one host-wide switch (the
// static key tcf_sw_enabled_key): the first software filter on the host turns
// it on, removing the last one turns it off, and every flip rewrites kernel
// code on all CPUs (an interrupt to each of them). On a host with no other tc
// filter, the first fault and its revert would each pay a flip: about half of
// a targeted cut's apply+revert time, and a stall of every CPU of the host
// under test at the moment the drill starts and ends.
//
// The hold is one root and u32 filter of ours on the loopback of a private
// network namespace that only the hold's descriptor keeps alive. No traffic
// reaches it and no device of the host changes; when the daemon exits, however
// it exits, the kernel frees the namespace, the filter and the switch with it.
// On kernels without the switch the hold is harmless.

#include <string>

namespace injector::tc {

class ClassifierSwitchHold {
 public:
  // Needs CAP_SYS_ADMIN (unshare) and CAP_NET_ADMIN: call before dropping
  // privileges. Throws (std::system_error, nl::NetlinkError) when it cannot.
  static ClassifierSwitchHold acquire();

  ClassifierSwitchHold() = default;  // holds nothing
  ~ClassifierSwitchHold();
  ClassifierSwitchHold(ClassifierSwitchHold&& other) noexcept;
  ClassifierSwitchHold& operator=(ClassifierSwitchHold&& other) noexcept;
  ClassifierSwitchHold(const ClassifierSwitchHold&) = delete;
  ClassifierSwitchHold& operator=(const ClassifierSwitchHold&) = delete;

  bool held() const { return netns_fd_ >= 0; }
  // The private namespace (for inspection): -1 when nothing is held.
  int netns_fd() const { return netns_fd_; }

 private:
  explicit ClassifierSwitchHold(int netns_fd) : netns_fd_(netns_fd) {}
  int netns_fd_ = -1;
};

}  // namespace injector::tc
