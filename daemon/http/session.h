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
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "daemon/http/connection_caps.h"
#include "daemon/http/http_server.h"
#include "daemon/http/log_limiter.h"

namespace injector::http {

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
};

// What every session of one server shares. Sessions hold it by shared_ptr,
// so a completion that runs after the server object is gone touches valid memory.
struct SessionHost {
  SessionHost(boost::asio::io_context& io, std::string name, std::size_t body, std::size_t header,
              ConnectionLimits limits, std::shared_ptr<ConnectionStats> stats, Handler h, RefusalHandler r = {});
  virtual ~SessionHost() = default;
  std::string name;  // "unix" or "tls", for log lines
  std::size_t max_body_bytes;
  std::size_t max_header_bytes;
  Handler handler;
  RefusalHandler on_refused;  // TLS: a client whose handshake failed
  std::unordered_set<SessionBase*> sessions;
  bool stopped = false;
  CapTable caps;
  std::shared_ptr<ConnectionStats> stats;

  void close_sessions();
  // How many lines about `key` were left out, when one may be written now;
  // nothing when this one is to be left out (a summary follows within a second).
  std::optional<std::uint64_t> may_log(const std::string& key);
  // A connection turned away before it was served: counted, logged (limited).
  void refused(Refusal why, const std::string& source);
  void timed_out(const std::string& source);
  void sync_gauges();

 private:
  void arm_summary();
  LogLimiter log_limiter_;
  boost::asio::steady_timer summary_timer_;
  bool summary_armed_ = false;
};

// One admitted connection's place in its host's CapTable: pending until
// promote(), then authenticated; given back when destroyed.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(std::shared_ptr<SessionHost> host, std::string source);  // already admitted as pending
  ~ConnectionSlot() { release(); }
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  bool pending() const { return state_ == State::pending; }
  const std::string& source() const { return source_; }
  // Pending -> authenticated. False: the connection cap refused it (counted
  // and logged); the slot is then empty and the caller closes.
  bool promote();

 private:
  enum class State { empty, pending, authenticated };
  void release() noexcept;
  std::shared_ptr<SessionHost> host_;
  std::string source_;
  State state_ = State::empty;
};

// Serves one accepted connection until it closes (or refuses it at once when
// a cap says so).
void serve_unix(const std::shared_ptr<SessionHost>& host, boost::asio::local::stream_protocol::socket socket);
// Waits for the client's first byte, then handshakes (client certificate
// required); a failed handshake goes to host->on_refused with the client's
// address and is never served. No OpenSSL object exists before that byte.
void serve_tls(const std::shared_ptr<SessionHost>& host, boost::asio::ip::tcp::socket socket,
               boost::asio::ssl::context& context);

// A listening socket and the sessions it started.
template <class Protocol>
struct Listener : SessionHost {
  Listener(boost::asio::io_context& io, std::string listener_name, std::size_t body, std::size_t header, ConnectionLimits limits,
           std::shared_ptr<ConnectionStats> listener_stats, Handler h, RefusalHandler r = {})
      : SessionHost(io, std::move(listener_name), body, header, limits, std::move(listener_stats), std::move(h), std::move(r)),
        acceptor(io),
        retry_timer(io) {}
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

inline constexpr int kAcceptBatch = 64;

// Accepts until stopped, handing each socket to `serve`.
template <class Protocol, class Serve>
void accept_loop(const std::shared_ptr<Listener<Protocol>>& l, Serve serve) {
  l->acceptor.async_accept([l, serve](boost::system::error_code ec, typename Protocol::socket socket) {
    if (l->stopped) return;
    if (!ec) {
      serve(std::move(socket));
      // Take what else waits in the backlog in this turn (a bounded batch, so
      // other work still gets its turns): a flood is then refused in a few
      // reactor rounds instead of one each, and the backlog does not overflow
      // into dropped handshakes, a legitimate client's among them.
      for (int i = 0; i < kAcceptBatch && !l->stopped; ++i) {
        boost::system::error_code more_ec;
        l->acceptor.non_blocking(true, more_ec);
        auto more = l->acceptor.accept(more_ec);
        if (more_ec) break;
        serve(std::move(more));
      }
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
