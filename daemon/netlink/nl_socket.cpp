#include "daemon/netlink/nl_socket.h"

#include <net/if.h>
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

}  // namespace injector::nl
