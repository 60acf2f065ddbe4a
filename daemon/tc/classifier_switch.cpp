#include "daemon/tc/classifier_switch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "daemon/netlink/batch.h"
#include "daemon/netlink/private_netns.h"
#include "daemon/tc/htb_root.h"

namespace injector::tc {
namespace {

// In the fresh namespace: our root on lo (lo is down there, so grafting it
// costs no traffic stop) and software u32 filters on it: the ND exemption's,
// the filters a root of ours gets with its first IPv6 fault.
int build_hold() {
  nl::Socket sock;
  add_htb_root(sock, nl::kPrivateLoopback);
  nl::Batch batch(sock);
  add_nd_exemption(batch, nl::kPrivateLoopback);
  batch.commit();
  const int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open the classifier hold's network namespace");
  return fd;  // the socket closes here; this descriptor alone keeps the namespace
}

}  // namespace

ClassifierSwitchHold ClassifierSwitchHold::acquire() {
  return ClassifierSwitchHold(nl::run_in_private_netns("the classifier switch hold", build_hold));
}

ClassifierSwitchHold::~ClassifierSwitchHold() {
  if (netns_fd_ >= 0) close(netns_fd_);
}

ClassifierSwitchHold::ClassifierSwitchHold(ClassifierSwitchHold&& other) noexcept
    : netns_fd_(std::exchange(other.netns_fd_, -1)) {}

ClassifierSwitchHold& ClassifierSwitchHold::operator=(ClassifierSwitchHold&& other) noexcept {
  if (this != &other) {
    if (netns_fd_ >= 0) close(netns_fd_);
    netns_fd_ = std::exchange(other.netns_fd_, -1);
  }
  return *this;
}

}  // namespace injector::tc
