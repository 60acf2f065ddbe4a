#pragma once
// Minimal blocking HTTP/1.1 client for the CLI: one request per connection,
// over the daemon's Unix socket or over mutual TLS (injector/tls_transport.h).

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace injector::client {

// The CLI's certificate files for an https:// daemon (--cert, --key, --ca).
struct TlsFiles {
  std::string cert;  // our client certificate (PEM), signed by the daemon's --client-ca
  std::string key;   // its private key (PEM)
  std::string ca;    // the CA that signed the daemon's certificate (PEM)
};

// A daemon address in --daemon syntax: "unix:/path/to.sock" or
// "https://HOST:PORT" (HOST a name, an IPv4 address or [IPv6]).
struct Endpoint {
  std::string unix_path;   // unix: only
  std::string host = {};   // https: only; IPv6 without brackets
  std::uint16_t port = 0;  // https: only
  TlsFiles tls = {};       // https: only, all three set

  bool is_https() const { return !host.empty(); }
  // Throws std::invalid_argument with a clear message: a malformed address,
  // https without one of --cert/--key/--ca (named), or those flags with unix:.
  static Endpoint parse(std::string_view text, TlsFiles tls = {});
  std::string to_string() const;
};

// The daemon could not be reached (no socket, refused, timed out, connection dropped).
class UnreachableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// TLS: the daemon's certificate did not verify against --ca, or is not valid
// for the host name or address we dialled. Nothing was sent.
class UntrustedDaemonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// TLS: the daemon refused our client certificate (not signed by its --client-ca).
class CertificateRefusedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpResult {
  int status = 0;
  std::string body;
};

HttpResult http_request(const Endpoint& endpoint, std::string_view method, std::string_view target,
                        std::string_view body = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace injector::client
