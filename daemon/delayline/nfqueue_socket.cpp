#include "daemon/delayline/nfqueue_socket.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/queue.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace injector::delayline {
namespace {

constexpr std::size_t kRxBuffer = 0xffff + 4096;  // one packet message: payload up to 64 KiB plus attributes
constexpr std::size_t kTxFlushAt = 32 * 1024;     // verdicts per datagram: well under the socket's send limit
constexpr std::uint32_t kCopyRange = 0xffff;
constexpr auto kAckTimeout = std::chrono::seconds(3);

std::string errno_text(int e) { return std::string(std::strerror(e)) + " (errno " + std::to_string(e) + ")"; }

struct MsgFree {
  void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgFree>;

struct QueuePut {
  void operator()(nfnl_queue* q) const noexcept { nfnl_queue_put(q); }
};

}  // namespace

NfqueueSocket::NfqueueSocket(std::uint32_t rcvbuf) : sk_(nl_socket_alloc()), rx_(kRxBuffer) {
  if (!sk_) throw std::runtime_error("nfqueue: allocate netlink socket: out of memory");
  // Verdicts are fire-and-forget (errors still come back); config requests ask for ACKs themselves.
  nl_socket_disable_auto_ack(sk_);
  nl_socket_disable_seq_check(sk_);
  if (const int rc = nfnl_connect(sk_); rc < 0) {
    nl_socket_free(sk_);
    throw std::runtime_error(std::string("nfqueue: connect NETLINK_NETFILTER socket: ") + nl_geterror(rc));
  }
  nl_socket_set_nonblocking(sk_);
  raise_receive_buffer(rcvbuf);
  tx_.reserve(kTxFlushAt + kRxBuffer);
}

NfqueueSocket::~NfqueueSocket() { nl_socket_free(sk_); }

int NfqueueSocket::fd() const { return nl_socket_get_fd(sk_); }

void NfqueueSocket::raise_receive_buffer(std::uint32_t bytes) {
  const int size = static_cast<int>(bytes);
  // FORCE passes rmem_max (root); plain SO_RCVBUF is capped by it but still helps without CAP_NET_ADMIN.
  if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0 &&
      setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
    throw std::runtime_error("nfqueue: set receive buffer to " + std::to_string(bytes) + " bytes: " + errno_text(errno));
  }
}

void NfqueueSocket::bind(std::uint16_t queue, std::uint32_t maxlen, const PacketHandler& on_packet) {
  configure(queue, maxlen, true, on_packet);
}

void NfqueueSocket::unbind(std::uint16_t queue, const PacketHandler& on_packet) {
  configure(queue, 0, false, on_packet);
}

void NfqueueSocket::configure(std::uint16_t queue, std::uint32_t maxlen, bool bind, const PacketHandler& on_packet) {
  const std::string what = std::string(bind ? "bind" : "unbind") + " NFQUEUE " + std::to_string(queue);
  flush();  // verdicts first: unbinding drops whatever still waits for one
  std::unique_ptr<nfnl_queue, QueuePut> q(nfnl_queue_alloc());
  if (!q) throw std::runtime_error(what + ": out of memory");
  nfnl_queue_set_group(q.get(), queue);
  nl_msg* raw = nullptr;
  int rc;
  if (bind) {
    nfnl_queue_set_copy_mode(q.get(), NFNL_QUEUE_COPY_PACKET);
    nfnl_queue_set_copy_range(q.get(), kCopyRange);
    nfnl_queue_set_maxlen(q.get(), maxlen);
    rc = nfnl_queue_build_create_request(q.get(), &raw);
  } else {
    rc = nfnl_queue_build_delete_request(q.get(), &raw);
  }
  if (rc < 0) throw std::runtime_error(what + ": build request: " + nl_geterror(rc));
  MsgPtr msg(raw);
  nlmsg_hdr(msg.get())->nlmsg_flags |= NLM_F_ACK;
  if (rc = nl_send_auto(sk_, msg.get()); rc < 0) throw std::runtime_error(what + ": send: " + nl_geterror(rc));
  awaited_seq_ = nlmsg_hdr(msg.get())->nlmsg_seq;
  ack_seen_ = false;
  const auto deadline = std::chrono::steady_clock::now() + kAckTimeout;
  while (!ack_seen_) {
    if (std::chrono::steady_clock::now() >= deadline) throw std::runtime_error(what + ": no answer from the kernel");
    pollfd p{fd(), POLLIN, 0};
    if (poll(&p, 1, 100) < 0 && errno != EINTR) throw std::runtime_error(what + ": poll: " + errno_text(errno));
    receive(on_packet, 256);
  }
  if (ack_error_ != 0) {
    // The kernel answers EPERM when another netlink socket already holds the queue.
    const std::string hint =
        bind && ack_error_ == EPERM ? " (the queue is bound by another socket or process, or CAP_NET_ADMIN is missing)" : "";
    throw std::runtime_error(what + ": " + errno_text(ack_error_) + hint);
  }
}

std::size_t NfqueueSocket::receive(const PacketHandler& on_packet, std::size_t max_packets) {
  std::size_t packets = 0;
  while (packets < max_packets) {
    const ssize_t n = recv(fd(), rx_.data(), rx_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel could not queue to us: those packets are gone; carry on
        ++enobufs_;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      throw std::runtime_error("nfqueue: receive: " + errno_text(errno));
    }
    packets += dispatch(static_cast<std::size_t>(n), on_packet);
  }
  return packets;
}

std::size_t NfqueueSocket::dispatch(std::size_t len, const PacketHandler& on_packet) {
  std::size_t packets = 0;
  int remaining = static_cast<int>(len);
  for (auto* h = reinterpret_cast<nlmsghdr*>(rx_.data()); nlmsg_ok(h, remaining); h = nlmsg_next(h, &remaining)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* err = static_cast<const nlmsgerr*>(nlmsg_data(h));
      if (h->nlmsg_seq == awaited_seq_ && awaited_seq_ != 0) {
        ack_seen_ = true;
        ack_error_ = -err->error;
        awaited_seq_ = 0;
      } else if (err->error != 0) {
        ++verdict_errors_;
      }
      continue;
    }
    if (h->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) continue;
    nlattr* tb[NFQA_MAX + 1];
    if (nlmsg_parse(h, sizeof(nfgenmsg), tb, NFQA_MAX, nullptr) < 0 || !tb[NFQA_PACKET_HDR]) continue;
    if (nla_len(tb[NFQA_PACKET_HDR]) < static_cast<int>(sizeof(nfqnl_msg_packet_hdr))) continue;
    nfqnl_msg_packet_hdr ph;
    std::memcpy(&ph, nla_data(tb[NFQA_PACKET_HDR]), sizeof ph);
    QueuedPacket p;
    p.queue = ntohs(static_cast<const nfgenmsg*>(nlmsg_data(h))->res_id);
    p.id = ntohl(ph.packet_id);
    p.hw_protocol = ntohs(ph.hw_protocol);
    if (tb[NFQA_PAYLOAD]) {
      p.payload = {static_cast<const std::uint8_t*>(nla_data(tb[NFQA_PAYLOAD])),
                   static_cast<std::size_t>(nla_len(tb[NFQA_PAYLOAD]))};
    }
    on_packet(p);
    ++packets;
  }
  return packets;
}

void NfqueueSocket::verdict(std::uint16_t queue, std::uint32_t id, std::uint32_t verdict,
                            std::span<const std::uint8_t> payload) {
  MsgPtr msg(nlmsg_alloc_size(payload.size() + 256));
  if (!msg) throw std::runtime_error("nfqueue: verdict: out of memory");
  int rc = nfnlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, NFNL_SUBSYS_QUEUE, NFQNL_MSG_VERDICT, NLM_F_REQUEST,
                       AF_UNSPEC, queue);
  const nfqnl_msg_verdict_hdr vh{htonl(verdict), htonl(id)};
  if (rc >= 0) rc = nla_put(msg.get(), NFQA_VERDICT_HDR, sizeof vh, &vh);
  if (rc >= 0 && !payload.empty()) rc = nla_put(msg.get(), NFQA_PAYLOAD, static_cast<int>(payload.size()), payload.data());
  if (rc < 0) throw std::runtime_error("nfqueue: build verdict for packet " + std::to_string(id) + ": " + nl_geterror(rc));
  const nlmsghdr* h = nlmsg_hdr(msg.get());
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(h);
  tx_.insert(tx_.end(), bytes, bytes + NLMSG_ALIGN(h->nlmsg_len));
  if (tx_.size() >= kTxFlushAt) flush();
}

void NfqueueSocket::accept(std::uint16_t queue, std::uint32_t id) { verdict(queue, id, NF_ACCEPT, {}); }
void NfqueueSocket::drop(std::uint16_t queue, std::uint32_t id) { verdict(queue, id, NF_DROP, {}); }
void NfqueueSocket::accept_modified(std::uint16_t queue, std::uint32_t id, std::span<const std::uint8_t> payload) {
  verdict(queue, id, NF_ACCEPT, payload);
}

void NfqueueSocket::flush() {
  if (tx_.empty()) return;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    const ssize_t n = sendto(fd(), tx_.data(), tx_.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    const int e = errno;
    tx_.clear();
    throw std::runtime_error("nfqueue: send verdicts: " + errno_text(e));
  }
  tx_.clear();
}

}  // namespace injector::delayline
