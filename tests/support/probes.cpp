#include "support/probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <algorithm>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "support/netns.h"

namespace injector::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string netns_path(const std::string& ns) { return "/var/run/netns/" + ns; }

// Namespace membership is per thread, so this is only ever called on a
// throwaway thread: the caller's own thread never changes namespace.
void enter_netns(const std::string& ns) {
  Fd fd(open(netns_path(ns).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno("open netns " + ns);
  if (setns(fd.get(), CLONE_NEWNET) != 0) throw_errno("setns " + ns);
}

// Runs fn on a new thread inside ns, joins it, and returns its result or rethrows.
template <class F>
std::invoke_result_t<F&> run_in_netns(const std::string& ns, F fn) {
  std::packaged_task<std::invoke_result_t<F&>()> task([&ns, &fn] {
    enter_netns(ns);
    return fn();
  });
  auto result = task.get_future();
  std::thread(std::move(task)).join();
  return result.get();
}

// A socket belongs to the namespace it was created in for its whole life, so
// only creation needs the namespace thread; all I/O then runs on the caller's
// thread. That keeps every probe single-threaded, with nothing to shut down.
int socket_in_netns(const std::string& ns, int family, int type) {
  return run_in_netns(ns, [family, type] {
    int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw_errno("socket");
    return fd;
  });
}

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family() const { return ss.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

SockAddr parse_addr(const std::string& addr) {
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    a.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    a.len = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument("not an IPv4 or IPv6 literal: " + addr);
  }
  return a;
}

// Binds fd to addr on `port` (0: an ephemeral one) and returns addr with the port filled in.
SockAddr bind_ephemeral(int fd, const std::string& addr, std::uint16_t port = 0) {
  SockAddr a = parse_addr(addr);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a.family() == AF_INET) reinterpret_cast<sockaddr_in*>(&a.ss)->sin_port = htons(port);
  else reinterpret_cast<sockaddr_in6*>(&a.ss)->sin6_port = htons(port);
  if (bind(fd, a.get(), a.len) != 0) throw_errno("bind " + addr);
  socklen_t len = sizeof a.ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a.ss), &len) != 0) throw_errno("getsockname");
  return a;
}

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

void echo_pending(int responder) {
  char buf[512];
  sockaddr_storage from{};
  for (;;) {
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(responder, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;  // EAGAIN: drained
    // A dropped echo is exactly what the probe measures, so send errors are ignored.
    (void)sendto(responder, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

// Serves the responder while waiting for `want` on the sender; echoes of
// earlier sequence numbers (late or duplicated) are read and ignored.
bool await_echo(int responder, int sender, const std::string& want, std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  char buf[512];
  for (;;) {
    pollfd fds[2] = {{responder, POLLIN, 0}, {sender, POLLIN, 0}};
    int r = poll(fds, 2, ms_until(deadline));
    if (r < 0 && errno != EINTR) throw_errno("poll");
    if (r > 0 && (fds[0].revents & POLLIN)) echo_pending(responder);
    if (r > 0 && (fds[1].revents & POLLIN)) {
      ssize_t n;
      while ((n = recv(sender, buf, sizeof buf, 0)) >= 0) {
        if (std::string(buf, static_cast<size_t>(n)) == want) return true;
      }
    }
    if (Clock::now() >= deadline) return false;
  }
}

// What a fault on the path can make a send or connect fail with: a
// blackhole route refuses with EINVAL, an unreachable or prohibit route and
// an ICMP error with EHOSTUNREACH/ENETUNREACH, a netfilter drop of a local
// packet with EPERM, and a peer whose SYNs vanish eventually with ETIMEDOUT.
// (The daemon's own cuts, blackhole qdiscs, fail nothing: they drop silently.)
// Anything else (EBADF, EAFNOSUPPORT, EADDRNOTAVAIL, ECONNREFUSED from a
// listener that is not there, ...) is a broken probe, not a cut, and must not
// pass for "not delivered".
bool cut_can_cause(int err) {
  return err == EINVAL || err == EHOSTUNREACH || err == ENETUNREACH || err == EPERM || err == ETIMEDOUT;
}

// sendto's result: true when sent, false when a cut refused it; throws otherwise.
bool sent_or_refused(ssize_t r, const char* what) {
  if (r >= 0) return true;
  if (cut_can_cause(errno)) return false;
  throw_errno(std::string(what) + " (not an error a fault on the path causes)");
}

}  // namespace

int udp_echo_delivered(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr, int count,
                       std::chrono::milliseconds wait) {
  const int family = parse_addr(to_addr).family();
  Fd responder(socket_in_netns(to_ns, family, SOCK_DGRAM));
  const SockAddr dst = bind_ephemeral(responder.get(), to_addr);
  Fd sender(socket_in_netns(from_ns, family, SOCK_DGRAM));
  int delivered = 0;
  for (int seq = 0; seq < count; ++seq) {
    const std::string msg = "injt-udp-echo " + std::to_string(seq);
    // A route can refuse at send time (a blackhole route gives EINVAL): not delivered.
    if (!sent_or_refused(sendto(sender.get(), msg.data(), msg.size(), 0, dst.get(), dst.len), "udp probe sendto")) {
      continue;
    }
    if (await_echo(responder.get(), sender.get(), msg, wait)) ++delivered;
  }
  return delivered;
}

namespace {

constexpr std::string_view kTimelineTag = "injt-udp-timeline ";

// Reads every probe waiting at the responder until `until`, marking its sequence number.
void mark_arrivals(int responder, std::vector<bool>& arrived, Clock::time_point until) {
  char buf[512];
  for (;;) {
    pollfd fd{responder, POLLIN, 0};
    const int r = poll(&fd, 1, ms_until(until));
    if (r < 0 && errno != EINTR) throw_errno("poll");
    ssize_t n;
    while ((n = recv(responder, buf, sizeof buf, 0)) >= 0) {
      const std::string_view got(buf, static_cast<size_t>(n));
      if (got.substr(0, kTimelineTag.size()) != kTimelineTag) continue;
      const std::size_t seq = std::stoul(std::string(got.substr(kTimelineTag.size())));
      if (seq < arrived.size()) arrived[seq] = true;
    }
    if (Clock::now() >= until) return;
  }
}

}  // namespace

std::vector<bool> udp_delivery_timeline(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                                    std::chrono::milliseconds interval, int count) {
  const int family = parse_addr(to_addr).family();
  Fd responder(socket_in_netns(to_ns, family, SOCK_DGRAM));
  const SockAddr dst = bind_ephemeral(responder.get(), to_addr);
  Fd sender(socket_in_netns(from_ns, family, SOCK_DGRAM));
  std::vector<bool> arrived(static_cast<std::size_t>(count), false);
  const auto start = Clock::now();
  for (int seq = 0; seq < count; ++seq) {
    const std::string msg = std::string(kTimelineTag) + std::to_string(seq);
    sent_or_refused(sendto(sender.get(), msg.data(), msg.size(), 0, dst.get(), dst.len), "udp timeline sendto");
    mark_arrivals(responder.get(), arrived, start + interval * (seq + 1));
  }
  // A probe is judged by whether it arrived, not by when: on a busy machine a
  // delivered probe can be read late, and must not pass for a down link.
  mark_arrivals(responder.get(), arrived, Clock::now() + std::chrono::milliseconds(500));
  return arrived;
}

bool tcp_connects(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                  std::chrono::milliseconds timeout, std::uint16_t port) {
  const auto deadline = Clock::now() + timeout;
  const int family = parse_addr(to_addr).family();
  Fd listener(socket_in_netns(to_ns, family, SOCK_STREAM));
  const SockAddr dst = bind_ephemeral(listener.get(), to_addr, port);
  if (listen(listener.get(), 4) != 0) throw_errno("listen");
  Fd client(socket_in_netns(from_ns, family, SOCK_STREAM));
  // Abortive close: no FIN_WAIT/TIME_WAIT sockets outlive the probe.
  linger lg{1, 0};
  setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if (connect(client.get(), dst.get(), dst.len) == 0) return true;
  if (errno != EINPROGRESS) {
    if (cut_can_cause(errno)) return false;  // refused at once, e.g. by a blackhole route
    throw_errno("tcp probe connect to " + to_addr + " (not an error a fault on the path causes)");
  }
  for (;;) {
    pollfd p{client.get(), POLLOUT, 0};
    int r = poll(&p, 1, ms_until(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno("poll");
    if (r == 0) return false;
    break;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(client.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) throw_errno("getsockopt SO_ERROR");
  if (err == 0 || cut_can_cause(err)) return err == 0;
  errno = err;
  throw_errno("tcp probe connect to " + to_addr + " (not an error a fault on the path causes)");
}

std::vector<PingReply> ping_replies(const std::string& from_ns, const std::string& to_addr, int count,
                                    double interval_s) {
  char interval[32];
  std::snprintf(interval, sizeof interval, "%.3f", interval_s);
  CommandResult r = run_command(
      {"ip", "netns", "exec", from_ns, "ping", "-n", "-c", std::to_string(count), "-i", interval, "-W", "2", to_addr});
  std::vector<PingReply> replies;
  static const std::regex kReply(R"(icmp_seq=(\d+) .*time=([0-9.]+) ms)");
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kReply)) replies.push_back({std::stoi(m[1].str()), std::stod(m[2].str())});
  }
  return replies;
}

double median_rtt_ms(const std::vector<PingReply>& replies) {
  if (replies.empty()) return 0;
  std::vector<double> rtts;
  for (const auto& r : replies) rtts.push_back(r.rtt_ms);
  std::nth_element(rtts.begin(), rtts.begin() + static_cast<long>(rtts.size() / 2), rtts.end());
  return rtts[rtts.size() / 2];
}

int ping_received(const std::string& from_ns, const std::string& to_addr, int count) {
  // `ip netns exec` on a missing namespace also yields no summary; say so plainly.
  if (access(netns_path(from_ns).c_str(), F_OK) != 0) throw std::runtime_error("no such namespace: " + from_ns);
  CommandResult r = run_command(
      {"ip", "netns", "exec", from_ns, "ping", "-c", std::to_string(count), "-i", "0.05", "-W", "1", to_addr});
  std::smatch m;
  static const std::regex kSummary(R"((\d+) received)");
  if (std::regex_search(r.out, m, kSummary)) return std::stoi(m[1].str());
  // ping gives up before sending when the route refuses: a blackhole route
  // ("Invalid argument"), an unreachable one, or netfilter. Other refusals
  // (a bad address, no permission to open the socket) are a broken probe.
  static const std::regex kRefused(
      R"(connect: (Invalid argument|Network is unreachable|No route to host|Operation not permitted))");
  if (std::regex_search(r.out, kRefused)) return 0;
  throw std::runtime_error("ping " + to_addr + " from " + from_ns + ": no summary in output:\n" + r.out);
}

}  // namespace injector::testing
