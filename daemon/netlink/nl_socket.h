#pragma once
// Owners for libnl objects and the one way netlink failures become exceptions:
// check("what was attempted", rc) throws NetlinkError carrying libnl's code.

#include <netlink/netlink.h>
#include <netlink/object.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace injector::nl {

class NetlinkError : public std::runtime_error {
 public:
  NetlinkError(const std::string& what, int code);
  int code() const noexcept { return code_; }  // negative NLE_* value

 private:
  int code_;
};

// Returns rc when it is not an error, so calls read `check("add qdisc", rtnl_qdisc_add(...))`.
int check(const std::string& what, int rc);

// A connected NETLINK_ROUTE socket in the calling thread's network namespace.
class Socket {
 public:
  Socket();
  ~Socket();
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  nl_sock* get() const { return sk_; }

 private:
  nl_sock* sk_ = nullptr;
};

// Any libnl object (qdisc, class, classifier, cache entry): dropped with nl_object_put.
struct ObjectPut {
  void operator()(void* obj) const noexcept { nl_object_put(static_cast<nl_object*>(obj)); }
};
template <class T>
using Ptr = std::unique_ptr<T, ObjectPut>;

template <class T>
Ptr<T> owned(T* raw, const char* what) {
  if (!raw) throw NetlinkError(std::string("allocate ") + what, -NLE_NOMEM);
  return Ptr<T>(raw);
}

// Interface index by name in this namespace; 0 when there is no such device.
int ifindex_of(const std::string& device);
// Every interface in this namespace: (name, ifindex).
std::vector<std::pair<std::string, int>> list_links();

}  // namespace injector::nl
