#pragma once
// Who is on the other end of an API connection, and where it is.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace injector::http {

// The one type for "who called". On the Unix socket: the kernel's
// credentials for the peer (SO_PEERCRED), which it cannot forge. Over TLS:
// the subject of the client certificate the handshake verified against
// --client-ca, and no uid, gid or pid (they mean nothing across machines).
struct PeerCredentials {
  pid_t pid = -1;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  // Set only for TLS callers; one-line RFC 2253 form, e.g. "CN=ci-runner,O=payments".
  std::optional<std::string> certificate_subject = std::nullopt;

  bool by_certificate() const { return certificate_subject.has_value(); }
  // "uid:1000" or "cert:CN=ci-runner,O=payments": what a fault records as created_by.
  std::string identity() const;
};

// An IP address (canonical text, no brackets) and a port.
struct TcpAddress {
  std::string address;
  std::uint16_t port = 0;

  // "127.0.0.1:8443" or "[::1]:8443"; the address must be a literal IP (no
  // host names: a root daemon does not ask DNS where to listen) and the port
  // 1-65535. Throws std::invalid_argument naming `flag`.
  static TcpAddress parse(std::string_view text, std::string_view flag = "--listen");
  bool is_v6() const { return address.find(':') != std::string::npos; }
  std::string to_string() const;  // "127.0.0.1:8443", "[::1]:8443"
};

// Both ends of a TCP connection, as the daemon's socket sees them.
struct TcpConnection {
  TcpAddress local;
  TcpAddress remote;
};

}  // namespace injector::http
