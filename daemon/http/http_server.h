#pragma once
// HTTP/1.1 server on a Unix stream socket, driven by one asio::io_context
// (daemon/http/tls_server.h serves the same over TLS; session.h is shared).
// The daemon runs everything (API, timers, signals) on that single thread, so
// handlers never race with each other and need no locks.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/http/connection_caps.h"
#include "daemon/http/peer.h"
#include "common/input_limits.h"

namespace injector::http {

struct Request {
  std::string method;  // "GET", "POST", "DELETE", ...
  std::string target;  // path plus optional query, e.g. "/v1/faults?label=a%3Db"
  std::string body;
  PeerCredentials peer;  // who called: SO_PEERCRED, or the verified client certificate
  std::optional<TcpConnection> tcp = std::nullopt;  // TLS callers: both ends of the connection
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

using Handler = std::function<Response(const Request&)>;
// A TLS client that was refused before any request: its address and why.
using RefusalHandler = std::function<void(const TcpAddress& remote, const std::string& reason)>;

struct ServerOptions {
  std::string socket_path;
  unsigned mode = 0660;                       // applied to the socket file
  std::optional<gid_t> group = std::nullopt;  // the socket file's group (chown); none: ours
  std::size_t max_body_bytes = limits::kMaxBodyBytes;
  std::size_t max_header_bytes = limits::kMaxHeaderBytes;
  // A local peer is "pending" until it has sent its first request head.
  ConnectionLimits connection_limits = {};
  std::shared_ptr<ConnectionStats> stats = nullptr;  // for /metrics; none: kept privately
};

class UnixHttpServer {
 public:
  // Binds and listens at once; throws std::system_error naming the path on failure.
  // A stale socket file at the path (nobody listening) is replaced; a live one is an error.
  UnixHttpServer(boost::asio::io_context& io, ServerOptions options, Handler handler);
  ~UnixHttpServer();  // closes the listener and unlinks the socket file; never throws
  UnixHttpServer(const UnixHttpServer&) = delete;
  UnixHttpServer& operator=(const UnixHttpServer&) = delete;

  void stop();  // stop accepting, close open connections, unlink the socket

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when a server answers at `path` (a stale file left by a crash does
// not count); throws std::system_error when a connect fails oddly.
bool socket_in_use(const std::string& path);

}  // namespace injector::http
