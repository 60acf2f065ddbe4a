#include "daemon/netlink/batch.h"

#include <linux/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cerrno>
#include <map>

namespace injector::nl {
namespace {

// Reads answers until the one for `last_seq` arrives. Every other message is
// an error for some earlier request (successes send nothing).
int read_outcome(const Socket& sock, std::uint32_t last_seq, const std::map<std::uint32_t, std::string>& names,
                 std::string& failed) {
  static thread_local std::vector<char> buf(256 * 1024);
  int first_error = 0;
  for (;;) {
    const ssize_t n = recv(nl_socket_get_fd(sock.get()), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return first_error ? first_error : -nl_syserr2nlerr(errno);
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      const auto* err = static_cast<const nlmsgerr*>(nlmsg_data(h));
      if (err->error != 0 && first_error == 0) {
        first_error = -nl_syserr2nlerr(-err->error);
        auto it = names.find(h->nlmsg_seq);
        failed = it == names.end() ? "netlink request" : it->second;
      }
      if (h->nlmsg_seq == last_seq) return first_error;
    }
  }
}

}  // namespace

Batch::~Batch() {
  for (auto& p : pending_) nlmsg_free(p.msg);
}

void Batch::add(nl_msg* msg, std::string what) {
  if (!msg) throw NetlinkError("build " + what, -NLE_NOMEM);
  pending_.push_back({msg, std::move(what)});
}

int Batch::send_chunk(std::size_t first, std::size_t last, std::string& failed) {
  std::vector<char> datagram;
  std::map<std::uint32_t, std::string> names;
  std::uint32_t seq = 0;
  for (std::size_t i = first; i < last; ++i) {
    nlmsghdr* h = nlmsg_hdr(pending_[i].msg);
    seq = nl_socket_use_seq(sock_.get());
    h->nlmsg_seq = seq;
    h->nlmsg_pid = nl_socket_get_local_port(sock_.get());
    h->nlmsg_flags |= NLM_F_REQUEST;
    if (i + 1 == last) h->nlmsg_flags |= NLM_F_ACK;  // the one answer we wait for
    names[seq] = pending_[i].what;
    const auto* bytes = reinterpret_cast<const char*>(h);
    datagram.insert(datagram.end(), bytes, bytes + NLMSG_ALIGN(h->nlmsg_len));
  }
  const int rc = nl_sendto(sock_.get(), datagram.data(), datagram.size());
  if (rc < 0) {
    failed = pending_[first].what;
    return rc;
  }
  return read_outcome(sock_, seq, names, failed);
}

void Batch::commit() {
  int first_error = 0;
  std::string failed;
  std::size_t start = 0;
  while (start < pending_.size()) {
    std::size_t end = start, bytes = 0;
    while (end < pending_.size() && (end == start || bytes + nlmsg_hdr(pending_[end].msg)->nlmsg_len <= kMaxChunk)) {
      bytes += NLMSG_ALIGN(nlmsg_hdr(pending_[end].msg)->nlmsg_len);
      ++end;
    }
    std::string chunk_failed;
    const int rc = send_chunk(start, end, chunk_failed);
    if (rc < 0 && first_error == 0) {
      first_error = rc;
      failed = chunk_failed;
    }
    start = end;
  }
  for (auto& p : pending_) nlmsg_free(p.msg);
  pending_.clear();
  if (first_error < 0) throw NetlinkError(failed, first_error);
}

}  // namespace injector::nl
