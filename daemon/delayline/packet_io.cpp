#include "daemon/delayline/packet_io.h"

#include "daemon/delayline/fd.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>
#include <algorithm>

namespace injector::delayline {
namespace {

// Skips IPv6 extension headers we can walk (hop-by-hop, routing, destination
// options); returns the transport protocol and its offset, or {-1, 0}.
std::pair<int, std::size_t> ipv6_transport(std::span<const std::uint8_t> p) {
  if (p.size() < 40) return {-1, 0};
  int next = p[6];
  std::size_t off = 40;
  while (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) {
    if (off + 8 > p.size()) return {-1, 0};
    next = p[off];
    off += (static_cast<std::size_t>(p[off + 1]) + 1) * 8;
  }
  return {next, off};
}

std::size_t transport_header_size(int proto, std::span<const std::uint8_t> p, std::size_t off) {
  switch (proto) {
    case IPPROTO_TCP:
      return off + 13 <= p.size() ? static_cast<std::size_t>(p[off + 12] >> 4) * 4 : 0;
    case IPPROTO_UDP:
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      return 8;
    default:
      return 0;
  }
}

int raw_socket(int family, int level, int hdrincl_opt, std::uint32_t mark) {
  const int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
  const std::string name = family == AF_INET ? "IPv4" : "IPv6";
  if (fd < 0) throw_errno("open raw " + name + " socket for duplicates");
  const int one = 1;
  if (setsockopt(fd, level, hdrincl_opt, &one, sizeof one) != 0 ||
      (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)) {
    const int e = errno;
    close(fd);
    errno = e;
    throw_errno("set header-included and mark " + std::to_string(mark) + " on raw " + name + " socket");
  }
  return fd;
}

}  // namespace

std::size_t transport_payload_offset(std::span<const std::uint8_t> p) {
  if (p.empty()) return 0;
  int proto = -1;
  std::size_t off = 0;
  if ((p[0] >> 4) == 4 && p.size() >= 20) {
    off = static_cast<std::size_t>(p[0] & 0x0f) * 4;
    proto = p[9];
    // A later fragment carries no transport header.
    if ((((p[6] & 0x1f) << 8) | p[7]) != 0) return std::min(off, p.size());
  } else if ((p[0] >> 4) == 6) {
    std::tie(proto, off) = ipv6_transport(p);
  }
  if (proto < 0 || off > p.size()) return 0;
  const std::size_t hdr = transport_header_size(proto, p, off);
  return std::min(off + hdr, p.size());
}

void corrupt_one_bit(std::vector<std::uint8_t>& packet, std::mt19937& rng) {
  if (packet.empty()) return;
  std::size_t from = transport_payload_offset(packet);
  if (from >= packet.size()) {
    // No payload: fall back to the bytes after the IP header, as close as we can get.
    from = (packet[0] >> 4) == 4 ? static_cast<std::size_t>(packet[0] & 0x0f) * 4 : 40;
    if (from >= packet.size()) from = 0;
  }
  const std::size_t span = packet.size() - from;
  const std::size_t byte = from + static_cast<std::size_t>(rng() % span);
  packet[byte] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
}

RawSender::RawSender(std::uint32_t mark) {
  v4_ = raw_socket(AF_INET, IPPROTO_IP, IP_HDRINCL, mark);
  try {
    v6_ = raw_socket(AF_INET6, IPPROTO_IPV6, IPV6_HDRINCL, mark);
  } catch (...) {
    close(v4_);
    throw;
  }
}

RawSender::~RawSender() {
  close(v4_);
  close(v6_);
}

bool RawSender::send(std::span<const std::uint8_t> p) {
  if (p.size() >= 20 && (p[0] >> 4) == 4) {
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    std::memcpy(&dst.sin_addr, p.data() + 16, 4);
    return sendto(v4_, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) >= 0;
  }
  if (p.size() >= 40 && (p[0] >> 4) == 6) {
    sockaddr_in6 dst{};
    dst.sin6_family = AF_INET6;
    std::memcpy(&dst.sin6_addr, p.data() + 24, 16);
    return sendto(v6_, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) >= 0;
  }
  return false;
}

}  // namespace injector::delayline
