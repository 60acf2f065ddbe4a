#include "daemon/netlink/batch.h"

#include <netlink/socket.h>

namespace injector::nl {

Batch::~Batch() {
  for (auto& p : pending_) nlmsg_free(p.msg);
}

void Batch::add(nl_msg* msg, std::string what) {
  if (!msg) throw NetlinkError("build " + what, -NLE_NOMEM);
  pending_.push_back({msg, std::move(what)});
}

void Batch::commit() {
  std::vector<Pending> todo;
  todo.swap(pending_);
  int first_error = 0;
  std::string failed;
  auto note = [&](int rc, const std::string& what) {
    if (rc < 0 && first_error == 0) {
      first_error = rc;
      failed = what;
    }
  };
  for (std::size_t start = 0; start < todo.size(); start += window_) {
    const std::size_t end = std::min(todo.size(), start + window_);
    std::size_t sent = start;
    for (; sent < end; ++sent) {
      const int rc = nl_send_auto(sock_.get(), todo[sent].msg);
      if (rc < 0) {
        note(rc, todo[sent].what);
        break;
      }
    }
    // ACKs come back in request order, one per request sent.
    for (std::size_t i = start; i < sent; ++i) note(nl_wait_for_ack(sock_.get()), todo[i].what);
    if (sent < end) break;  // the socket itself failed: nothing more will get through
  }
  for (auto& p : todo) nlmsg_free(p.msg);
  if (first_error < 0) throw NetlinkError(failed, first_error);
}

}  // namespace injector::nl
