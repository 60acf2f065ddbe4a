#pragma once
// Readiness of a server a test started as a child process (iperf3 -s, ...):
// wait for the condition instead of sleeping and hoping.

#include <chrono>
#include <cstdint>
#include <string>

namespace injector::testing {

// Polls every 10 ms until a TCP socket in namespace `ns` listens on `port`
// (any address, IPv4 or IPv6, as /proc/net/tcp and tcp6 show it inside ns).
// False when none did within `timeout`.
bool wait_for_listener(const std::string& ns, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace injector::testing
