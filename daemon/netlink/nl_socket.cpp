#include "daemon/netlink/nl_socket.h"

#include <linux/netlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <netlink/errno.h>
#include <netlink/socket.h>

namespace injector::nl {

NetlinkError::NetlinkError(const std::string& what, int code)
    : std::runtime_error(what + ": " + nl_geterror(code)), code_(code) {}

int check(const std::string& what, int rc) {
  if (rc < 0) throw NetlinkError(what, rc);
  return rc;
}

Socket::Socket() : sk_(nl_socket_alloc()) {
  if (!sk_) throw NetlinkError("allocate netlink socket", -NLE_NOMEM);
  const int rc = nl_connect(sk_, NETLINK_ROUTE);
  if (rc < 0) {
    nl_socket_free(sk_);
    throw NetlinkError("connect NETLINK_ROUTE socket", rc);
  }
  // Batches keep several requests in flight and match answers by sequence
  // number themselves, which libnl's one-outstanding-request check would
  // refuse; and answers need not echo the whole request (NETLINK_CAP_ACK).
  nl_socket_disable_seq_check(sk_);
  const int fd = nl_socket_get_fd(sk_);
  const int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  // Room for many error answers at once (each costs ~1 KiB of buffer however
  // small it is); and never wait forever for an answer the kernel dropped.
  const int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

Socket::~Socket() {
  if (sk_) nl_socket_free(sk_);
}

Socket::Socket(Socket&& other) noexcept : sk_(other.sk_) { other.sk_ = nullptr; }

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (sk_) nl_socket_free(sk_);
    sk_ = other.sk_;
    other.sk_ = nullptr;
  }
  return *this;
}

int ifindex_of(const std::string& device) { return static_cast<int>(if_nametoindex(device.c_str())); }

std::vector<std::pair<std::string, int>> list_links() {
  std::vector<std::pair<std::string, int>> out;
  struct if_nameindex* all = if_nameindex();
  if (!all) return out;
  for (struct if_nameindex* i = all; i->if_index != 0; ++i) out.emplace_back(i->if_name, static_cast<int>(i->if_index));
  if_freenameindex(all);
  return out;
}

}  // namespace injector::nl
