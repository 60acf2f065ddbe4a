#include "daemon/http/session.h"

#include "daemon/http/session_stream.h"

#include <cerrno>

namespace injector::http {
namespace {

using namespace detail;

// A TLS client between accept and its first byte: only a socket and a timer.
// The OpenSSL object and its buffers (tens of KiB) come with that byte, so an
// idle flood costs us little more than the descriptors the caps allow.
class FirstByteWait : public SessionBase, public std::enable_shared_from_this<FirstByteWait> {
 public:
  FirstByteWait(std::shared_ptr<SessionHost> host, Tcp::socket socket, net::ssl::context& context, TcpConnection tcp,
                ConnectionSlot slot, Clock::time_point deadline)
      : host_(std::move(host)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        context_(context),
        tcp_(std::move(tcp)),
        slot_(std::move(slot)),
        deadline_(deadline) {
    host_->sessions.insert(this);
  }
  ~FirstByteWait() override { host_->sessions.erase(this); }
  FirstByteWait(const FirstByteWait&) = delete;
  FirstByteWait& operator=(const FirstByteWait&) = delete;

  void start() {
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](ErrorCode ec) {
      if (ec || self->done_) return;
      self->done_ = true;
      self->host_->timed_out(self->slot_.source());
      reset_close(self->socket_);
    });
    socket_.async_wait(Tcp::socket::wait_read, [self = shared_from_this()](ErrorCode ec) { self->on_readable(ec); });
  }

  void close() override {
    done_ = true;
    timer_.cancel();
    ErrorCode ignored;
    socket_.close(ignored);
  }

 private:
  void on_readable(ErrorCode ec) {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    if (ec || host_->stopped) return close();
    // A peer that hung up without a byte is no handshake: no OpenSSL object for it.
    char first = 0;
    const ssize_t n = ::recv(socket_.native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return close();
    std::make_shared<Session<TlsStream>>(host_, TlsStream(beast::tcp_stream(std::move(socket_)), context_),
                                         PeerCredentials{}, std::move(tcp_), std::move(slot_), deadline_)
        ->start();
  }

  std::shared_ptr<SessionHost> host_;
  Tcp::socket socket_;
  net::steady_timer timer_;
  net::ssl::context& context_;
  TcpConnection tcp_;
  ConnectionSlot slot_;
  Clock::time_point deadline_;
  bool done_ = false;
};

// Admits a new connection from `source` as pending, or refuses it (counted,
// logged, reset). Nothing when refused.
template <class Socket>
std::optional<ConnectionSlot> admit(const std::shared_ptr<SessionHost>& host, Socket& socket, const std::string& source) {
  const Refusal why = host->caps.admit_pending(source);
  if (why == Refusal::none) return ConnectionSlot(host, source);
  host->refused(why, source);
  reset_close(socket);
  return std::nullopt;
}

}  // namespace

void serve_unix(const std::shared_ptr<SessionHost>& host, Local::socket socket) {
  const PeerCredentials peer = read_peer(socket.native_handle());
  const auto deadline = Clock::now() + host->caps.limits().handshake_timeout;
  // Local peers are told apart by uid: one user's runaway script does not lock out root.
  auto slot = admit(host, socket, "uid:" + std::to_string(peer.uid));
  if (!slot) return;
  std::make_shared<Session<UnixStream>>(host, UnixStream(std::move(socket)), peer, std::nullopt, std::move(*slot), deadline)
      ->start();
}

void serve_tls(const std::shared_ptr<SessionHost>& host, Tcp::socket socket, net::ssl::context& context) {
  ErrorCode local_ec, remote_ec;
  const auto remote = socket.remote_endpoint(remote_ec);
  if (remote_ec) return;  // the client is already gone
  const auto deadline = Clock::now() + host->caps.limits().handshake_timeout;
  // Refused before anything else is asked of the kernel: a flood is mostly refusals.
  auto slot = admit(host, socket, remote.address().to_string());
  if (!slot) return;
  const auto local = socket.local_endpoint(local_ec);
  if (local_ec) return;
  TcpConnection tcp{address_of(local), address_of(remote)};
  std::make_shared<FirstByteWait>(host, std::move(socket), context, std::move(tcp), std::move(*slot), deadline)->start();
}

}  // namespace injector::http
