#pragma once
// One NETLINK_NETFILTER socket serving any number of NFQUEUE numbers, over
// libnl-nf. Packets are parsed in place from a receive buffer (no per-packet
// allocation); verdicts are built with libnl's message API and sent several
// to a datagram. Only the delay-line thread uses it: configuration requests
// wait for their ACK by reading the same socket, so packets that arrive in
// the meantime are handed to the caller's handler, never lost.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

struct nl_sock;

namespace injector::delayline {

struct QueuedPacket {
  std::uint16_t queue = 0;
  std::uint32_t id = 0;
  std::uint16_t hw_protocol = 0;  // ETH_P_IP / ETH_P_IPV6, host order
  std::span<const std::uint8_t> payload;  // the IP packet; valid only during the handler call
};
using PacketHandler = std::function<void(const QueuedPacket&)>;

class NfqueueSocket {
 public:
  // Connects in the calling thread's network namespace; raises the receive
  // buffer to rcvbuf bytes (SO_RCVBUFFORCE, falling back to SO_RCVBUF).
  explicit NfqueueSocket(std::uint32_t rcvbuf);
  ~NfqueueSocket();
  NfqueueSocket(const NfqueueSocket&) = delete;
  NfqueueSocket& operator=(const NfqueueSocket&) = delete;

  int fd() const;
  void raise_receive_buffer(std::uint32_t bytes);

  // Binds `queue` to this socket, copy-packet mode, kernel queue length
  // `maxlen`. Throws std::runtime_error naming the queue and the kernel's
  // error (EPERM: another socket holds it).
  void bind(std::uint16_t queue, std::uint32_t maxlen, const PacketHandler& on_packet);
  // Unbinds; the kernel drops whatever of this queue still awaits a verdict.
  void unbind(std::uint16_t queue, const PacketHandler& on_packet);

  // Reads up to max_packets packets that are ready (never blocks).
  std::size_t receive(const PacketHandler& on_packet, std::size_t max_packets);

  // Verdicts are buffered; flush() sends them (also done when the buffer fills).
  void accept(std::uint16_t queue, std::uint32_t id);
  void accept_modified(std::uint16_t queue, std::uint32_t id, std::span<const std::uint8_t> payload);
  void drop(std::uint16_t queue, std::uint32_t id);
  void flush();

  std::uint64_t enobufs() const { return enobufs_; }          // receive overruns: packets the kernel could not queue to us
  std::uint64_t verdict_errors() const { return verdict_errors_; }  // verdicts the kernel refused

 private:
  void verdict(std::uint16_t queue, std::uint32_t id, std::uint32_t verdict, std::span<const std::uint8_t> payload);
  void configure(std::uint16_t queue, std::uint32_t maxlen, bool bind, const PacketHandler& on_packet);
  // Handles one datagram; returns packets seen. Sets ack_error_ when it holds the awaited ACK.
  std::size_t dispatch(std::size_t len, const PacketHandler& on_packet);

  nl_sock* sk_ = nullptr;
  std::vector<std::uint8_t> rx_;
  std::vector<std::uint8_t> tx_;
  std::uint32_t awaited_seq_ = 0;
  bool ack_seen_ = false;
  int ack_error_ = 0;
  std::uint64_t enobufs_ = 0;
  std::uint64_t verdict_errors_ = 0;
};

}  // namespace injector::delayline
