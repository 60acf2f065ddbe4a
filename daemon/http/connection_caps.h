#pragma once
// How many connections one listener holds, and from whom, before the peer
// has proven anything. A peer that has not completed the TLS handshake (on
// the Unix socket: not yet sent a whole request head) is "pending"; its cost
// is paid by us, so pending connections are capped overall and per source
// (an IP address over TLS, a uid on the Unix socket) and live only for the
// handshake timeout. A cap on authenticated connections bounds the rest.
// Pure bookkeeping: the servers (daemon/http/session.cpp) ask and obey.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace injector::http {

struct ConnectionLimits {
  std::size_t max_pending = 64;             // --max-pending-connections
  std::size_t max_pending_per_source = 8;   // --max-pending-per-source
  std::size_t max_authenticated = 64;       // --max-connections
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(3);  // --handshake-timeout
};

// Why a connection was turned away; also the `reason` label in /metrics.
enum class Refusal { none, pending_cap, pending_per_source_cap, connection_cap };
std::string_view to_string(Refusal r);

// One listener's figures for /metrics: counters since start, gauges now.
struct ConnectionStats {
  std::uint64_t refused_pending_cap = 0;
  std::uint64_t refused_pending_per_source_cap = 0;
  std::uint64_t refused_connection_cap = 0;
  std::uint64_t handshake_timeouts = 0;  // pending too long (Unix: no request head in time)
  std::uint64_t handshake_failures = 0;  // TLS only: no, or a bad, client certificate; not TLS
  std::size_t pending = 0;
  std::size_t authenticated = 0;

  void count(Refusal r);
};

class CapTable {
 public:
  explicit CapTable(ConnectionLimits limits) : limits_(limits) {}

  // Counts a new pending connection from `source`, or says which cap refuses it.
  Refusal admit_pending(const std::string& source);
  // The pending connection from `source` ended (any way, promoted included).
  void end_pending(const std::string& source);
  // A pending connection proved itself: counts it as authenticated, or refuses.
  // Call after end_pending.
  Refusal admit_authenticated();
  void end_authenticated();

  std::size_t pending() const { return pending_; }
  std::size_t pending_from(const std::string& source) const;
  std::size_t authenticated() const { return authenticated_; }
  const ConnectionLimits& limits() const { return limits_; }

 private:
  ConnectionLimits limits_;
  std::size_t pending_ = 0;
  std::size_t authenticated_ = 0;
  // Only sources with pending connections: at most max_pending entries, so a
  // peer cycling through addresses cannot grow it.
  std::unordered_map<std::string, std::size_t> per_source_;
};

}  // namespace injector::http
