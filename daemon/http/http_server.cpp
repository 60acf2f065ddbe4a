#include "daemon/http/http_server.h"

#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "daemon/http/session.h"

namespace injector::http {
namespace {

namespace net = boost::asio;
using Local = net::local::stream_protocol;
using ErrorCode = boost::system::error_code;
using State = Listener<Local>;

std::system_error path_error(int err, const std::string& what) {
  return std::system_error(err, std::system_category(), what);
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
  ServerOptions options;
  std::shared_ptr<State> state;
  // Identity of the file we bound, so stop() never unlinks a socket that
  // another daemon created at the same path after us.
  dev_t dev = 0;
  ino_t ino = 0;
  bool bound = false;
  std::string bound_path;  // the staging name until the socket is in place, then its path

  // The socket appears at its path only once it accepts: it is bound and
  // set up under a staging name, then renamed into place. Whoever waits for
  // the file (the lab, a test, a unit's ExecStartPost) can connect at once.
  void listen() {
    const std::string& path = options.socket_path;
    prepare_path(path);
    bound_path = path + "." + std::to_string(::getpid());
    try {
      const Local::endpoint endpoint(bound_path);
      state->acceptor.open(endpoint.protocol());
      state->acceptor.bind(endpoint);
      bound = true;
      struct stat st {};
      if (::stat(bound_path.c_str(), &st) == 0) {
        dev = st.st_dev;
        ino = st.st_ino;
      }
      restrict_access();
      state->acceptor.listen(net::socket_base::max_listen_connections);
      // RENAME_NOREPLACE: a daemon that started at the same path meanwhile keeps its socket.
      if (::renameat2(AT_FDCWD, bound_path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
        throw path_error(errno, errno == EEXIST ? "another daemon is listening on " + path
                                                : "cannot move the socket into place at " + path);
      }
      bound_path = path;
    } catch (const boost::system::system_error& e) {
      unlink_socket();
      throw path_error(e.code().value(), "cannot listen on " + path);
    } catch (...) {
      unlink_socket();
      throw;
    }
  }

  // Mode and group before listen(): until then every connect is refused, so
  // the umask-derived mode is never usable by anyone.
  void restrict_access() const {
    if (::chmod(bound_path.c_str(), static_cast<mode_t>(options.mode)) != 0) {
      throw path_error(errno, "cannot chmod " + bound_path);
    }
    // The allowed group connects through the group bits.
    if (options.group && ::chown(bound_path.c_str(), static_cast<uid_t>(-1), *options.group) != 0) {
      throw path_error(errno, "cannot chown " + bound_path + " to gid " + std::to_string(*options.group));
    }
  }

  void unlink_socket() noexcept {
    if (!bound) return;
    bound = false;
    struct stat st {};
    if (::lstat(bound_path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
      ::unlink(bound_path.c_str());
    }
  }
};

UnixHttpServer::UnixHttpServer(boost::asio::io_context& io, ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const ServerOptions& o = impl_->options;
  impl_->state = std::make_shared<State>(io, "unix", o.max_body_bytes, o.max_header_bytes, o.connection_limits, o.stats,
                                         std::move(handler));
  impl_->listen();
  accept_loop(impl_->state, [host = impl_->state](Local::socket socket) { serve_unix(host, std::move(socket)); });
}

UnixHttpServer::~UnixHttpServer() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop() is best effort here
  }
}

void UnixHttpServer::stop() {
  if (!impl_ || impl_->state->stopped) return;
  impl_->state->stop();
  impl_->unlink_socket();
}

}  // namespace injector::http
