#pragma once
// One HTTP/1.1 connection's state machine (daemon/http/session.h), over the
// Unix socket or TLS: included by session.cpp only.

#include "daemon/http/session.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "daemon/http/tls_context.h"

namespace injector::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Local = net::local::stream_protocol;
using Tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;
using UnixStream = beast::basic_stream<Local, net::any_io_executor, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

inline constexpr auto kIdleTimeout = std::chrono::seconds(30);
// Counted from the first byte of a request (or of the TLS handshake), so a
// peer trickling bytes (slowloris) cannot hold a connection open indefinitely.
inline constexpr auto kRequestTimeout = std::chrono::seconds(10);
// After an error response we drain the peer's unread upload for a moment: closing
// with unread data makes the kernel reset the connection, and many clients then
// never see the 413/400 we just sent.
inline constexpr auto kLingerTimeout = std::chrono::seconds(2);
inline constexpr std::size_t kReadChunk = 4096;
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

inline std::string to_json(const nlohmann::json& j) {
  // Handler messages may carry arbitrary bytes; never let dump() throw on them.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline PeerCredentials read_peer(int fd) {
  PeerCredentials peer;
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    peer.pid = cred.pid;
    peer.uid = cred.uid;
    peer.gid = cred.gid;
  }
  return peer;
}

inline TcpAddress address_of(const Tcp::endpoint& e) { return {e.address().to_string(), e.port()}; }

// A connection we refuse or give up on: a reset frees both ends at once
// (no FIN handshake, no TIME_WAIT here), which a flood would otherwise pile up.
template <class Socket>
void reset_close(Socket& socket) {
  ErrorCode ignored;
  if constexpr (std::is_same_v<Socket, Tcp::socket>) socket.set_option(net::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(std::shared_ptr<SessionHost> host, Stream stream, PeerCredentials peer, std::optional<TcpConnection> tcp,
          ConnectionSlot slot, Clock::time_point deadline)
      : host_(std::move(host)),
        stream_(std::move(stream)),
        peer_(std::move(peer)),
        tcp_(std::move(tcp)),
        slot_(std::move(slot)),
        deadline_(deadline) {
    host_->sessions.insert(this);
  }
  ~Session() override { host_->sessions.erase(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    if constexpr (kTls) {
      lowest().expires_at(deadline_);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](ErrorCode ec) { self->on_handshake(ec); });
    } else {
      wait_for_request();
    }
  }

  void close() override {
    closed_ = true;
    lowest().close();
  }

  // A pending peer that let the handshake timeout pass: counted, logged
  // (limited) and reset.
  void close_timed_out() {
    if (finished()) return;
    host_->timed_out(slot_.source());
    closed_ = true;
    reset_close(lowest().socket());
  }

 private:
  bool finished() const { return closed_ || host_->stopped; }
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  void on_handshake(ErrorCode ec) {
    if (finished()) return;
    SSL* ssl = nullptr;
    if constexpr (kTls) ssl = stream_.native_handle();
    if (ec == beast::error::timeout) return close_timed_out();
    std::optional<std::string> subject;
    if (!ec) subject = verified_subject(ssl);
    if (!subject) {
      ++host_->stats->handshake_failures;
      const std::string reason = ec ? handshake_failure(ec, ssl) : "no verified client certificate";
      // Anyone can fail a handshake at will: the log and the audit hear of
      // a few, then one a second, and how many more there were.
      const auto left_out = host_->may_log("refused TLS handshakes");
      if (left_out && host_->on_refused) {
        host_->on_refused(tcp_->remote, reason + suppressed_suffix(*left_out));
      }
      return close();
    }
    if (!slot_.promote()) return close();
    peer_.certificate_subject = std::move(subject);
    wait_for_request();
  }

  void wait_for_request() {
    if (finished()) return;
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(host_->max_body_bytes));
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(host_->max_header_bytes, UINT32_MAX)));
    if (buffer_.size() > 0) {  // a pipelined request is already waiting
      read_header();
      return;
    }
    if (slot_.pending()) {
      lowest().expires_at(deadline_);
    } else {
      lowest().expires_after(kIdleTimeout);
    }
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](ErrorCode ec, std::size_t n) {
                              if (ec == beast::error::timeout && self->slot_.pending()) return self->close_timed_out();
                              // Idle timeout, peer hung up or stop(): nobody to answer.
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    if (finished()) return;
    // Pending (Unix socket, first request): the whole head within the handshake timeout.
    if (slot_.pending()) {
      lowest().expires_at(deadline_);
    } else {
      lowest().expires_after(kRequestTimeout);
    }
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](ErrorCode ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(ErrorCode ec) {
    if (ec == beast::error::timeout && slot_.pending()) return close_timed_out();
    if (ec) return on_read_error(ec);
    if (finished()) return;
    if (slot_.pending() && !slot_.promote()) {
      nlohmann::json err = {{"code", "too_many_connections"},
                            {"message", "the daemon serves at most " +
                                            std::to_string(host_->caps.limits().max_authenticated) +
                                            " connections at once (--max-connections); retry shortly"}};
      return reply_and_close(503, to_json({{"error", err}}));
    }
    const auto& req = parser_->get();
    // curl sends "Expect: 100-continue" for larger bodies and stalls a second
    // waiting for it; an oversized body was already refused by the parser.
    if (req.version() == 11 && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = this->shared_from_this()](ErrorCode wec, std::size_t) {
                         if (wec) return self->close();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    if (finished()) return;
    bhttp::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](ErrorCode ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->dispatch();
    });
  }

  void on_read_error(ErrorCode ec) {
    if (finished()) return;
    if (ec == bhttp::error::body_limit) {
      const auto limit = std::to_string(host_->max_body_bytes);
      nlohmann::json err = {{"code", "body_too_large"},
                            {"field", "body"},
                            {"message", "request body exceeds " + limit + " bytes"},
                            {"allowed", "at most " + limit + " bytes"}};
      return reply_and_close(413, to_json({{"error", err}}));
    }
    // A peer that hangs up mid-request or times out gets no answer; only
    // genuinely malformed HTTP is worth explaining.
    const bool parse_error = ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
    if (parse_error && ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream) {
      nlohmann::json err = {{"code", "bad_http"}, {"field", "request"}, {"message", ec.message()}};
      return reply_and_close(400, to_json({{"error", err}}));
    }
    close();
  }

  void dispatch() {
    if (finished()) return;
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.body = std::move(msg.body());
    req.peer = peer_;
    req.tcp = tcp_;
    Response res;
    try {
      res = host_->handler(req);
      if (res.status < 100 || res.status > 999) {
        throw std::logic_error("handler returned invalid HTTP status " + std::to_string(res.status));
      }
    } catch (const std::exception& e) {
      res = internal_error(e.what());
    } catch (...) {
      res = internal_error("unknown exception");
    }
    write(static_cast<unsigned>(res.status), std::move(res.body), res.content_type, msg.keep_alive());
  }

  static Response internal_error(const std::string& what) {
    Response res;
    res.status = 500;
    res.body = to_json({{"error", {{"code", "internal"}, {"message", what}}}});
    return res;
  }

  void reply_and_close(unsigned status, std::string body) { write(status, std::move(body), "application/json", false); }

  void write(unsigned status, std::string body, const std::string& content_type, bool keep_alive) {
    // Before the header is parsed (e.g. bad request line) the version is unknown.
    const unsigned version = parser_->is_header_done() ? parser_->get().version() : 11;
    keep_alive = keep_alive && !host_->stopped;
    auto& res = response_.emplace(static_cast<bhttp::status>(status), version);
    res.set(bhttp::field::server, "injectord");
    res.set(bhttp::field::content_type, content_type);
    res.body() = std::move(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    // A peer that stops reading must not pin the session forever.
    lowest().expires_after(kRequestTimeout);
    bhttp::async_write(stream_, res, [self = this->shared_from_this(), keep_alive](ErrorCode ec, std::size_t) {
      self->response_.reset();
      if (ec || self->finished()) return self->close();
      if (keep_alive) return self->wait_for_request();
      self->linger();
    });
  }

  void linger() {
    lowest().expires_after(kLingerTimeout);
    if constexpr (kTls) {
      // close_notify, then wait (bounded) for the client's: the TLS way of
      // letting the answer arrive before the connection goes.
      stream_.async_shutdown([self = this->shared_from_this()](ErrorCode) { self->close(); });
    } else {
      ErrorCode ignored;
      lowest().socket().shutdown(Local::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    if (finished()) return;
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kReadChunk), [self = this->shared_from_this()](ErrorCode ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  std::shared_ptr<SessionHost> host_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;  // must outlive async_write
  PeerCredentials peer_;
  std::optional<TcpConnection> tcp_;
  ConnectionSlot slot_;
  Clock::time_point deadline_;  // of the handshake (Unix socket: of the first request head)
  bool closed_ = false;
};

}  // namespace injector::http::detail
