#pragma once
// One HTTP/1.1 connection, whatever carries it: the Unix socket or TLS over
// TCP. Both servers share this code (request parsing, limits, timeouts,
// keep-alive, error answers); they differ only in how they accept and in the
// TLS handshake, which a TLS session completes before its first request.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>

#include "daemon/http/http_server.h"

namespace injector::http {

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
};

// What every session of one server shares. Sessions hold it by shared_ptr,
// so a completion that runs after the server object is gone touches valid memory.
struct SessionHost {
  SessionHost(std::size_t body, std::size_t header, Handler h, RefusalHandler r = {})
      : max_body_bytes(body), max_header_bytes(header), handler(std::move(h)), on_refused(std::move(r)) {}
  std::size_t max_body_bytes;
  std::size_t max_header_bytes;
  Handler handler;
  RefusalHandler on_refused;  // TLS: a client whose handshake failed
  std::unordered_set<SessionBase*> sessions;
  bool stopped = false;

  void close_sessions();
};

// Serves one accepted connection until it closes.
void serve_unix(const std::shared_ptr<SessionHost>& host, boost::asio::local::stream_protocol::socket socket);
// Handshakes first (client certificate required); a failed handshake goes to
// host->on_refused with the client's address and is never served.
void serve_tls(const std::shared_ptr<SessionHost>& host, boost::asio::ip::tcp::socket socket,
               boost::asio::ssl::context& context);

// A listening socket and the sessions it started.
template <class Protocol>
struct Listener : SessionHost {
  Listener(boost::asio::io_context& io, std::size_t body, std::size_t header, Handler h, RefusalHandler r = {})
      : SessionHost(body, header, std::move(h), std::move(r)), acceptor(io), retry_timer(io) {}
  typename Protocol::acceptor acceptor;
  boost::asio::steady_timer retry_timer;

  void stop() {
    stopped = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();
    close_sessions();
  }
};

// Accepts until stopped, handing each socket to `serve`.
template <class Protocol, class Serve>
void accept_loop(const std::shared_ptr<Listener<Protocol>>& l, Serve serve) {
  l->acceptor.async_accept([l, serve](boost::system::error_code ec, typename Protocol::socket socket) {
    if (l->stopped) return;
    if (!ec) {
      serve(std::move(socket));
      return accept_loop(l, serve);
    }
    // Out of descriptors and the like: retrying at once would spin the one
    // thread the whole daemon runs on.
    l->retry_timer.expires_after(std::chrono::milliseconds(100));
    l->retry_timer.async_wait([l, serve](boost::system::error_code tec) {
      if (!tec && !l->stopped) accept_loop(l, serve);
    });
  });
}

}  // namespace injector::http
