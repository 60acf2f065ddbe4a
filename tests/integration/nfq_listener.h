#pragma once
// A minimal NFQUEUE listener for tests: raw nfnetlink_queue over libmnl, bound
// to one queue inside a network namespace. It records every packet it is
// handed (addresses, protocol, ports, ICMP type) and gives each the same
// verdict, so a test can see exactly which packets a rule queued and measure
// the effect of holding them (drop) or not (accept).

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace injector::testing {

struct QueuedPacket {
  int ip_version = 0;
  std::uint8_t protocol = 0;  // IPPROTO_*
  std::string src, dst;       // textual addresses
  std::uint16_t sport = 0, dport = 0;  // tcp/udp only
  int icmp_type = -1;                  // icmp/icmpv6 only
};

class NfqListener {
 public:
  enum class Verdict { accept, drop };
  // Binds `queue` in namespace `ns`; throws std::runtime_error on failure.
  NfqListener(const std::string& ns, std::uint16_t queue, Verdict verdict);
  ~NfqListener();  // stops the thread and closes the socket (unbinding the queue)
  NfqListener(const NfqListener&) = delete;
  NfqListener& operator=(const NfqListener&) = delete;

  std::vector<QueuedPacket> packets() const;
  std::size_t count_to(const std::string& dst, std::uint16_t dport = 0) const;  // dport 0: any

 private:
  void bind_queue(std::uint16_t queue);
  void run();
  void handle(const nlmsghdr* nlh);

  mnl_socket* sock_ = nullptr;
  Verdict verdict_;
  std::uint16_t queue_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<QueuedPacket> packets_;
  std::thread thread_;
};

}  // namespace injector::testing
