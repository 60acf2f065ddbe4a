#include "integration/nfq_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>

namespace injector::testing {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// A netlink socket belongs to the namespace it was made in: make it on a
// thread that entered `ns`, then use it from anywhere.
mnl_socket* socket_in(const std::string& ns) {
  auto made = std::async(std::launch::async, [&ns] {
    const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("open netns " + ns);
    const int rc = setns(fd, CLONE_NEWNET);
    close(fd);
    if (rc != 0) fail("setns " + ns);
    mnl_socket* s = mnl_socket_open(NETLINK_NETFILTER);
    if (!s) fail("open NETLINK_NETFILTER");
    if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
      mnl_socket_close(s);
      fail("bind NETLINK_NETFILTER");
    }
    return s;
  });
  return made.get();
}

nlmsghdr* queue_header(char* buf, std::uint16_t type, std::uint16_t queue) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_QUEUE << 8) | type);
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* g = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(queue);
  return nlh;
}

std::string ntop(int family, const void* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr, text, sizeof text);
  return text;
}

QueuedPacket parse_ip(const std::uint8_t* p, std::size_t len) {
  QueuedPacket q;
  if (len < 20) return q;
  q.ip_version = p[0] >> 4;
  std::size_t l4 = 0;
  if (q.ip_version == 4) {
    q.protocol = p[9];
    q.src = ntop(AF_INET, p + 12);
    q.dst = ntop(AF_INET, p + 16);
    l4 = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  } else if (q.ip_version == 6 && len >= 40) {
    q.protocol = p[6];  // test traffic carries no extension headers
    q.src = ntop(AF_INET6, p + 8);
    q.dst = ntop(AF_INET6, p + 24);
    l4 = 40;
  }
  if (l4 + 4 > len) return q;
  if (q.protocol == IPPROTO_TCP || q.protocol == IPPROTO_UDP) {
    q.sport = static_cast<std::uint16_t>(p[l4] << 8 | p[l4 + 1]);
    q.dport = static_cast<std::uint16_t>(p[l4 + 2] << 8 | p[l4 + 3]);
  } else if (q.protocol == IPPROTO_ICMP || q.protocol == IPPROTO_ICMPV6) {
    q.icmp_type = p[l4];
  }
  return q;
}

}  // namespace

NfqListener::NfqListener(const std::string& ns, std::uint16_t queue, Verdict verdict)
    : sock_(socket_in(ns)), verdict_(verdict), queue_(queue) {
  try {
    bind_queue(queue);
  } catch (...) {
    mnl_socket_close(sock_);
    throw;
  }
  thread_ = std::thread([this] { run(); });
}

NfqListener::~NfqListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  mnl_socket_close(sock_);
}

void NfqListener::bind_queue(std::uint16_t queue) {
  alignas(nlmsghdr) char buf[1024];
  nlmsghdr* nlh = queue_header(buf, NFQNL_MSG_CONFIG, queue);
  nlh->nlmsg_flags |= NLM_F_ACK;
  nfqnl_msg_config_cmd cmd{NFQNL_CFG_CMD_BIND, 0, 0};
  mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof cmd, &cmd);
  nfqnl_msg_config_params params{htonl(0xffff), NFQNL_COPY_PACKET};
  mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof params, &params);
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) fail("send NFQUEUE bind");
  char ack[4096];
  const ssize_t n = mnl_socket_recvfrom(sock_, ack, sizeof ack);
  if (n < 0) fail("receive NFQUEUE bind answer");
  if (mnl_cb_run(ack, static_cast<std::size_t>(n), 0, 0, nullptr, nullptr) < 0) {
    fail("bind NFQUEUE " + std::to_string(queue));
  }
}

void NfqListener::run() {
  std::vector<char> buf(0xffff + 4096);
  const int fd = mnl_socket_get_fd(sock_);
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) continue;
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET) handle(nlh);
    }
  }
}

void NfqListener::handle(const nlmsghdr* nlh) {
  const nfqnl_msg_packet_hdr* hdr = nullptr;
  QueuedPacket packet;
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
       mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) == NFQA_PACKET_HDR) hdr = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr));
    if (mnl_attr_get_type(attr) == NFQA_PAYLOAD) {
      packet = parse_ip(static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr)), mnl_attr_get_payload_len(attr));
    }
  }
  if (!hdr) return;
  {
    std::lock_guard lock(mu_);
    packets_.push_back(packet);
  }
  alignas(nlmsghdr) char buf[256];
  nlmsghdr* v = queue_header(buf, NFQNL_MSG_VERDICT, queue_);
  nfqnl_msg_verdict_hdr verdict{htonl(verdict_ == Verdict::accept ? NF_ACCEPT : NF_DROP), hdr->packet_id};
  mnl_attr_put(v, NFQA_VERDICT_HDR, sizeof verdict, &verdict);
  mnl_socket_sendto(sock_, v, v->nlmsg_len);
}

std::vector<QueuedPacket> NfqListener::packets() const {
  std::lock_guard lock(mu_);
  return packets_;
}

std::size_t NfqListener::count_to(const std::string& dst, std::uint16_t dport) const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& p : packets_) {
    if (p.dst == dst && (dport == 0 || p.dport == dport)) ++n;
  }
  return n;
}

}  // namespace injector::testing
