#pragma once
// What the delay line does to packet bytes: corrupting one bit of the
// transport payload, and re-sending a duplicate through a raw socket.

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace injector::delayline {

// Offset of the first byte after the IP and transport headers of an IPv4 or
// IPv6 packet (TCP, UDP, ICMP, ICMPv6); after the IP header for other
// transports; 0 when the packet cannot be parsed. Equal to the size when
// there is no payload.
std::size_t transport_payload_offset(std::span<const std::uint8_t> packet);

// Flips one random bit, in the transport payload when there is one (so the
// packet still reaches the receiver's socket layer, which then sees a bad
// checksum as real corruption would give), else after the IP header, else anywhere.
void corrupt_one_bit(std::vector<std::uint8_t>& packet, std::mt19937& rng);

// Sends whole IP packets (IPv4 and IPv6, headers included) as they are, with
// SO_MARK `mark` so the NFQUEUE rule can let them by. Sockets are opened in
// the calling thread's network namespace. Only meaningful for egress: the copy
// is routed out of this namespace again; an ingress packet re-sent this way
// would leave instead of arriving.
class RawSender {
 public:
  explicit RawSender(std::uint32_t mark);
  ~RawSender();
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;

  // False when the packet is not IP or the kernel refused it (errno kept).
  bool send(std::span<const std::uint8_t> packet);

 private:
  int v4_ = -1;
  int v6_ = -1;
};

}  // namespace injector::delayline
