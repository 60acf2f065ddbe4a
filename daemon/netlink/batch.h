#pragma once
// Netlink requests in one round trip: a batch's messages are packed into one
// datagram (up to kMaxChunk bytes each), and only the last one asks for an
// ACK. The kernel handles them in order, answers every failure with an error
// message anyway, and goes on with the next, so one read tells the outcome of
// all. A fault with 10,000 filters is 10,000 messages; an ACK each, waited for
// in turn, is what makes that slow.

#include <netlink/msg.h>

#include <cstddef>
#include <string>
#include <vector>

#include "daemon/netlink/nl_socket.h"

namespace injector::nl {

class Batch {
 public:
  // Below libnl's and the socket's per-datagram limit (65,504 bytes here) with room to spare.
  static constexpr std::size_t kMaxChunk = 32 * 1024;

  explicit Batch(const Socket& sock) : sock_(sock) {}
  ~Batch();  // frees unsent messages; never throws
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Takes ownership of msg. `what` names the request in the error if the kernel refuses it.
  void add(nl_msg* msg, std::string what);
  // Sends everything and reads the outcome. Every request is sent even if one
  // fails; then the first failure is thrown as NetlinkError.
  void commit();
  std::size_t size() const { return pending_.size(); }

 private:
  struct Pending {
    nl_msg* msg;
    std::string what;
  };
  // Sends pending_[first, last) as one datagram; returns the first error (0: none).
  int send_chunk(std::size_t first, std::size_t last, std::string& failed);

  const Socket& sock_;
  std::vector<Pending> pending_;
};

}  // namespace injector::nl
