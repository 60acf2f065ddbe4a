#pragma once
// Real traffic between namespaces, measured from inside the test process:
// each probe runs on a thread that has entered the namespace (setns), so the
// sockets live there.

#include <chrono>
#include <string>

namespace injector::testing {

// Sends `count` UDP datagrams from namespace `from_ns` to an echo responder the
// probe starts in `to_ns` on `to_addr` (IPv4 or IPv6 literal), one at a time,
// waiting up to `wait` for each echo. Returns how many echoes came back.
int udp_echo_delivered(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                       int count, std::chrono::milliseconds wait = std::chrono::milliseconds(200));

// Opens a TCP listener in `to_ns` on to_addr and tries to connect from `from_ns`
// within `timeout`. True when the three-way handshake completed.
bool tcp_connects(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

// `ping -c count -i 0.05 -W 1` from from_ns; returns packets received.
int ping_received(const std::string& from_ns, const std::string& to_addr, int count);

}  // namespace injector::testing
