#include "bench/conn_flood.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <unordered_map>

namespace injector::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  bool garbage = false;
  bool sent = false;
};

sockaddr_in address(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) throw std::invalid_argument("not an IPv4 address: " + ip);
  return a;
}

class Flood {
 public:
  explicit Flood(const FloodOptions& o)
      : o_(o), src_(address(o.source, 0)), dst_(address(o.target, o.port)), ep_(epoll_create1(EPOLL_CLOEXEC)) {
    if (ep_ < 0) throw std::runtime_error("epoll_create1 failed");
  }
  ~Flood() {
    for (auto& [fd, c] : conns_) ::close(fd);
    ::close(ep_);
  }

  FloodResult run(const std::atomic<bool>& stop) {
    const auto t0 = Clock::now();
    for (;;) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      if (elapsed >= o_.seconds || stop) break;
      const long due = static_cast<long>(elapsed * o_.rate);
      while (r_.attempts + r_.skipped < due) attempt(r_.attempts + r_.skipped);
      poll(1);
    }
    r_.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r_.still_open = static_cast<long>(conns_.size());
    return r_;
  }

 private:
  void attempt(long n) {
    if (static_cast<int>(conns_.size()) >= o_.max_open) {
      ++r_.skipped;
      return;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++r_.skipped;
      return;
    }
    ++r_.attempts;
    const int one = 1;
    // Port chosen at connect: the 4-tuple, not the source port alone, must be free.
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&src_), sizeof src_) != 0 ||
        (::connect(fd, reinterpret_cast<const sockaddr*>(&dst_), sizeof dst_) != 0 && errno != EINPROGRESS)) {
      ++r_.connect_failed;
      ::close(fd);
      return;
    }
    conns_[fd] = Conn{n % 2 == 1, false};
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (n % 2 == 1 ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }

  void poll(int timeout_ms) {
    epoll_event events[256];
    const int n = ::epoll_wait(ep_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) on_event(events[i].data.fd, events[i].events);
  }

  void on_event(int fd, std::uint32_t ev) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Conn& c = it->second;
    int err = 0;
    socklen_t len = sizeof err;
    // A reset by the daemon is its refusal; anything else never reached it.
    if ((ev & EPOLLERR) && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0 && err != ECONNRESET) {
      ++r_.connect_failed;
      return finish(fd);
    }
    if ((ev & EPOLLOUT) && c.garbage && !c.sent) {
      static const char junk[] = "GET / HTTP/1.1\r\nthis is not a TLS ClientHello, it is garbage\r\n\r\n";
      c.sent = true;
      ::send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL);
      epoll_event mod{};
      mod.events = EPOLLIN | EPOLLRDHUP;
      mod.data.fd = fd;
      ::epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &mod);
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      char buf[512];
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got > 0) return;  // a TLS alert: the close follows
      ++r_.closed_by_server;
      finish(fd);
    }
  }

  void finish(int fd) {
    ::close(fd);  // closing removes it from the epoll set
    conns_.erase(fd);
  }

  FloodOptions o_;
  sockaddr_in src_, dst_;
  int ep_;
  std::unordered_map<int, Conn> conns_;
  FloodResult r_;
};

}  // namespace

FloodResult run_flood(const FloodOptions& options, const std::atomic<bool>& stop) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  FloodOptions o = options;
  const long room = static_cast<long>(lim.rlim_cur) - 1000;  // the legitimate client's share
  if (room > 0 && o.max_open > room) o.max_open = static_cast<int>(room);
  Flood flood(o);
  return flood.run(stop);
}

}  // namespace injector::bench
