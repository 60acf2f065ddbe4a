#pragma once
// Pipelined netlink requests: send a window of messages, then collect their
// ACKs, instead of one round trip per object. A fault with 10,000 filters is
// 10,000 messages; waiting for each ACK in turn is what makes that slow.

#include <netlink/msg.h>

#include <memory>
#include <string>
#include <vector>

#include "daemon/netlink/nl_socket.h"

namespace injector::nl {

class Batch {
 public:
  explicit Batch(const Socket& sock, std::size_t window = 64) : sock_(sock), window_(window) {}
  ~Batch();  // frees unsent messages; never throws

  // Takes ownership of msg. `what` names the request in the error if the kernel refuses it.
  void add(nl_msg* msg, std::string what);
  // Sends everything, waiting for every ACK. All requests are sent even if
  // one fails; then the first failure is thrown as NetlinkError.
  void commit();
  std::size_t size() const { return pending_.size(); }

 private:
  struct Pending {
    nl_msg* msg;
    std::string what;
  };
  const Socket& sock_;
  std::size_t window_;
  std::vector<Pending> pending_;
};

}  // namespace injector::nl
