#pragma once
// The API over TCP with mutual TLS (injectord --listen ADDR:PORT), beside the
// Unix socket and on the same io_context thread. There is no plain-TCP mode:
// a client must present a certificate signed by the client CA, or the
// handshake fails and it is never served. Requests parse and answer exactly
// as on the Unix socket (daemon/http/session.h).

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>

#include "daemon/http/http_server.h"
#include "daemon/http/peer.h"
#include "daemon/http/tls_context.h"

namespace injector::http {

// What main() validates from --listen, --tls-cert, --tls-key and --client-ca.
struct TlsListenConfig {
  TcpAddress listen;  // the lead's control-path exclusion takes this address:port
  TlsFiles files;
};

// The four flags as given (empty: not given). Nothing given: no TCP listener
// (nullopt). --listen with any of the other three missing, or any of them
// without --listen, throws std::invalid_argument naming the missing flag;
// a bad --listen throws naming it too.
std::optional<TlsListenConfig> tls_listen_config(const std::string& listen, const TlsFiles& files);

struct TlsServerOptions {
  TcpAddress listen;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  ConnectionLimits connection_limits = {};
  std::shared_ptr<ConnectionStats> stats = nullptr;  // for /metrics; none: kept privately
};

class TlsHttpServer {
 public:
  // Binds and listens at once (throws std::system_error naming the address).
  // `context` comes from make_server_context and must outlive the server;
  // `refused` hears of every client whose handshake failed.
  TlsHttpServer(boost::asio::io_context& io, TlsServerOptions options, boost::asio::ssl::context& context,
                Handler handler, RefusalHandler refused);
  ~TlsHttpServer();  // never throws
  TlsHttpServer(const TlsHttpServer&) = delete;
  TlsHttpServer& operator=(const TlsHttpServer&) = delete;

  void stop();  // stop accepting and close open connections
  TcpAddress local_address() const;  // where it listens (the port, if 0 was asked)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace injector::http
