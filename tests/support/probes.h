#pragma once
// Real traffic between namespaces, measured from inside the test process:
// each probe runs on a thread that has entered the namespace (setns), so the
// sockets live there.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace injector::testing {

// Sends `count` UDP datagrams from namespace `from_ns` to an echo responder the
// probe starts in `to_ns` on `to_addr` (IPv4 or IPv6 literal), one at a time,
// waiting up to `wait` for each echo. Returns how many echoes came back.
int udp_echo_delivered(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                       int count, std::chrono::milliseconds wait = std::chrono::milliseconds(200));

// Opens a TCP listener in `to_ns` on to_addr (on `port`, or an ephemeral one
// when 0) and tries to connect from `from_ns` within `timeout`. True when the
// three-way handshake completed.
bool tcp_connects(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(1000), std::uint16_t port = 0);

// One UDP probe every `interval` for `count` intervals; element i says
// whether probe i (sent at i * interval from the start) reached to_addr, however
// late it was read. For watching a link go down and up on a schedule.
std::vector<bool> udp_delivery_timeline(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                                    std::chrono::milliseconds interval, int count);

// Every reply of `ping -c count -i interval` from from_ns, in arrival order:
// (icmp_seq, rtt in ms). Duplicates appear twice; lost probes not at all.
struct PingReply {
  int seq = 0;
  double rtt_ms = 0;
};
std::vector<PingReply> ping_replies(const std::string& from_ns, const std::string& to_addr, int count,
                                    double interval_s = 0.01);
double median_rtt_ms(const std::vector<PingReply>& replies);

// `ping -c count -i 0.05 -W 1` from from_ns; returns packets received.
int ping_received(const std::string& from_ns, const std::string& to_addr, int count);

}  // namespace injector::testing
