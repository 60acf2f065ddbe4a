#pragma once
// The attacker's side of connection_flood_bench: TCP connection attempts at
// a fixed rate (open loop) from one source address, half of them left idle
// (never a byte: they wait on the server's handshake timeout) and half
// sending garbage where a TLS ClientHello belongs. One thread, epoll,
// non-blocking sockets; run it inside the namespace the daemon listens in.

#include <atomic>
#include <cstdint>
#include <string>

namespace injector::bench {

struct FloodOptions {
  std::string source = "127.0.0.2";  // every attempt binds here: one peer
  std::string target = "127.0.0.1";
  std::uint16_t port = 0;
  int rate = 10'000;  // attempts per second
  double seconds = 30;
  int max_open = 10'000;  // our descriptors in flight (under RLIMIT_NOFILE, with room for the
                          // legitimate client in the same process); above it an attempt is skipped and counted
};

struct FloodResult {
  long attempts = 0;          // sockets that started a connect
  long skipped = 0;           // not started: max_open in flight, or no socket
  long connect_failed = 0;    // refused or unroutable before the handshake completed
  long closed_by_server = 0;  // reset or closed by the daemon (refused, timed out, bad handshake)
  long still_open = 0;        // open when the flood ended (we closed them)
  double seconds = 0;         // wall time of the attempts
};

// Runs until options.seconds have passed or `stop` is set.
FloodResult run_flood(const FloodOptions& options, const std::atomic<bool>& stop);

}  // namespace injector::bench
