#include "daemon/http/http_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

namespace injector::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Local = net::local::stream_protocol;
using ErrorCode = boost::system::error_code;
using Stream = beast::basic_stream<Local, net::any_io_executor, beast::unlimited_rate_policy>;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
// Counted from the first byte of a request, so a peer trickling bytes
// (slowloris) cannot hold a connection open indefinitely.
constexpr auto kRequestTimeout = std::chrono::seconds(10);
// After an error response we drain the peer's unread upload for a moment: closing
// with unread data makes the kernel reset the connection, and many clients then
// never see the 413/400 we just sent.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr std::size_t kReadChunk = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string to_json(const nlohmann::json& j) {
  // Handler messages may carry arbitrary bytes; never let dump() throw on them.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::system_error path_error(int err, const std::string& what) {
  return std::system_error(err, std::system_category(), what);
}

PeerCredentials read_peer(int fd) {
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

class Session;

// Shared with every pending handler, so a handler that runs after the server
// object is gone (or while the io_context is torn down) touches valid memory.
struct State {
  State(net::io_context& io, ServerOptions o, Handler h)
      : options(std::move(o)), handler(std::move(h)), acceptor(io), retry_timer(io) {}
  ServerOptions options;
  Handler handler;
  Local::acceptor acceptor;
  net::steady_timer retry_timer;
  std::unordered_set<Session*> sessions;
  bool stopped = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<State> state, Local::socket socket)
      : state_(std::move(state)), stream_(std::move(socket)) {
    state_->sessions.insert(this);
  }
  ~Session() { state_->sessions.erase(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    peer_ = read_peer(stream_.socket().native_handle());
    wait_for_request();
  }

  void close() {
    closed_ = true;
    stream_.close();
  }

 private:
  bool finished() const { return closed_ || state_->stopped; }

  void wait_for_request() {
    if (finished()) return;
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(state_->options.max_body_bytes));
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(state_->options.max_header_bytes, UINT32_MAX)));
    if (buffer_.size() > 0) {  // a pipelined request is already waiting
      read_header();
      return;
    }
    stream_.expires_after(kIdleTimeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](ErrorCode ec, std::size_t n) {
                              // Idle timeout, peer hung up or stop(): nobody to answer.
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    if (finished()) return;
    stream_.expires_after(kRequestTimeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](ErrorCode ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(ErrorCode ec) {
    if (ec) return on_read_error(ec);
    if (finished()) return;
    const auto& req = parser_->get();
    // curl sends "Expect: 100-continue" for larger bodies and stalls a second
    // waiting for it; an oversized body was already refused by the parser.
    if (req.version() == 11 && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](ErrorCode wec, std::size_t) {
                         if (wec) return self->close();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    if (finished()) return;
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](ErrorCode ec, std::size_t) {
                        if (ec) return self->on_read_error(ec);
                        self->dispatch();
                      });
  }

  void on_read_error(ErrorCode ec) {
    if (finished()) return;
    if (ec == bhttp::error::body_limit) {
      const auto limit = std::to_string(state_->options.max_body_bytes);
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
    Response res;
    try {
      res = state_->handler(req);
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

  void reply_and_close(unsigned status, std::string body) {
    write(status, std::move(body), "application/json", false);
  }

  void write(unsigned status, std::string body, const std::string& content_type, bool keep_alive) {
    // Before the header is parsed (e.g. bad request line) the version is unknown.
    const unsigned version = parser_->is_header_done() ? parser_->get().version() : 11;
    keep_alive = keep_alive && !state_->stopped;
    auto& res = response_.emplace(static_cast<bhttp::status>(status), version);
    res.set(bhttp::field::server, "injectord");
    res.set(bhttp::field::content_type, content_type);
    res.body() = std::move(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    // A peer that stops reading must not pin the session forever.
    stream_.expires_after(kRequestTimeout);
    bhttp::async_write(stream_, res,
                       [self = shared_from_this(), keep_alive](ErrorCode ec, std::size_t) {
                         self->response_.reset();
                         if (ec || self->finished()) return self->close();
                         if (keep_alive) return self->wait_for_request();
                         self->linger();
                       });
  }

  void linger() {
    ErrorCode ignored;
    stream_.socket().shutdown(Local::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
    drain();
  }

  void drain() {
    if (finished()) return;
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](ErrorCode ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  std::shared_ptr<State> state_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;  // must outlive async_write
  PeerCredentials peer_;
  bool closed_ = false;
};

void do_accept(const std::shared_ptr<State>& state) {
  state->acceptor.async_accept([state](ErrorCode ec, Local::socket socket) {
    if (state->stopped) return;
    if (!ec) {
      std::make_shared<Session>(state, std::move(socket))->start();
      return do_accept(state);
    }
    // Out of descriptors and the like: retrying at once would spin the one
    // thread the whole daemon runs on.
    state->retry_timer.expires_after(kAcceptRetryDelay);
    state->retry_timer.async_wait([state](ErrorCode tec) {
      if (!tec && !state->stopped) do_accept(state);
    });
  });
}

// Something answering at `path` means a live daemon; a refused connect means
// a stale file left by a crash.
bool someone_listening(const std::string& path) {
  net::io_context io;
  Local::socket probe(io);
  probe.open();
  probe.non_blocking(true);  // a full backlog must not block us forever
  ErrorCode ec;
  probe.connect(Local::endpoint(path), ec);
  if (!ec || ec == net::error::would_block || ec == net::error::try_again) return true;
  if (ec == net::error::connection_refused) return false;
  throw path_error(ec.value(), "cannot probe existing socket " + path);
}

void prepare_path(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::exists(parent)) {
    fs::create_directories(parent);
    fs::permissions(parent, fs::perms(0755));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw path_error(errno, "cannot stat " + path);
  }
  if (!S_ISSOCK(st.st_mode)) throw path_error(EEXIST, path + " exists and is not a socket");
  if (someone_listening(path)) throw path_error(EADDRINUSE, "another daemon is listening on " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw path_error(errno, "cannot remove stale socket " + path);
  }
}

}  // namespace

bool socket_in_use(const std::string& path) {
  struct stat st {};
  // No file, or no socket: nobody can be serving there.
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  return someone_listening(path);
}

struct UnixHttpServer::Impl {
  std::shared_ptr<State> state;
  // Identity of the file we bound, so stop() never unlinks a socket that
  // another daemon created at the same path after us.
  dev_t dev = 0;
  ino_t ino = 0;
  bool bound = false;

  void listen() {
    const std::string& path = state->options.socket_path;
    prepare_path(path);
    try {
      const Local::endpoint endpoint(path);
      state->acceptor.open(endpoint.protocol());
      state->acceptor.bind(endpoint);
      bound = true;
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0) {
        dev = st.st_dev;
        ino = st.st_ino;
      }
      // chmod before listen(): until then every connect is refused, so the
      // umask-derived mode is never usable by anyone.
      if (::chmod(path.c_str(), static_cast<mode_t>(state->options.mode)) != 0) {
        throw path_error(errno, "cannot chmod " + path);
      }
      // The allowed group connects through the group bits; set before listen() too.
      if (state->options.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *state->options.group) != 0) {
        throw path_error(errno, "cannot chown " + path + " to gid " + std::to_string(*state->options.group));
      }
      state->acceptor.listen(net::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& e) {
      unlink_socket();
      throw path_error(e.code().value(), "cannot listen on " + path);
    } catch (...) {
      unlink_socket();
      throw;
    }
  }

  void unlink_socket() noexcept {
    if (!bound) return;
    bound = false;
    const std::string& path = state->options.socket_path;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
      ::unlink(path.c_str());
    }
  }
};

UnixHttpServer::UnixHttpServer(boost::asio::io_context& io, ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->state = std::make_shared<State>(io, std::move(options), std::move(handler));
  impl_->listen();
  do_accept(impl_->state);
}

UnixHttpServer::~UnixHttpServer() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop() is best effort here
  }
}

void UnixHttpServer::stop() {
  if (!impl_ || impl_->state->stopped) return;
  State& state = *impl_->state;
  state.stopped = true;
  ErrorCode ignored;
  state.acceptor.close(ignored);
  state.retry_timer.cancel();
  // close() only queues completions, but copy anyway so the loop never
  // depends on that.
  const std::vector<Session*> open(state.sessions.begin(), state.sessions.end());
  for (Session* session : open) session->close();
  impl_->unlink_socket();
}

}  // namespace injector::http
