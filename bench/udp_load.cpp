#include "udp_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace injector::bench {
namespace {

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

double seconds_of(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

double cpu_s(int who) {
  rusage ru{};
  getrusage(who, &ru);
  return seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
}

// A socket made in a namespace: the thread enters it, the socket stays there.
int socket_in(const std::string& ns) {
  std::packaged_task<int()> task([&] {
    enter_netns(ns);
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  });
  auto fd = task.get_future();
  std::thread(std::move(task)).join();
  const int s = fd.get();
  if (s < 0) throw std::runtime_error("udp load: socket in " + ns + ": " + std::strerror(errno));
  return s;
}

struct Sockets {
  int rx = -1, tx = -1;
  sockaddr_in to{};
  ~Sockets() {
    if (rx >= 0) close(rx);
    if (tx >= 0) close(tx);
  }
};

void open_sockets(const testing::ThreeSiteLab& lab, Sockets& s) {
  s.rx = socket_in(lab.ns('b'));
  s.tx = socket_in(lab.ns('a'));
  const int big = 64 << 20;
  setsockopt(s.rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  setsockopt(s.tx, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);  // held packets stay charged to the sender
  const timeval tv{0, 200'000};
  setsockopt(s.rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  s.to.sin_family = AF_INET;
  inet_pton(AF_INET, testing::ThreeSiteLab::v4('b').c_str(), &s.to.sin_addr);
  if (bind(s.rx, reinterpret_cast<sockaddr*>(&s.to), sizeof s.to) != 0) {
    throw std::runtime_error(std::string("udp load: bind receiver: ") + std::strerror(errno));
  }
  socklen_t len = sizeof s.to;
  getsockname(s.rx, reinterpret_cast<sockaddr*>(&s.to), &len);
}

// Until 600 ms pass without packets after the sender stopped. Returns delays in ms.
std::vector<double> receive_all(int rx, const std::atomic<bool>& sending, double& cpu) {
  pin_to_cpu(0);
  const double c0 = cpu_s(RUSAGE_THREAD);
  std::vector<double> delays;
  char buf[64];
  int idle = 0;
  while (sending || idle < 3) {
    const ssize_t n = recv(rx, buf, sizeof buf, 0);
    if (n < 8) {
      ++idle;
      continue;
    }
    idle = 0;
    std::int64_t sent_at;
    std::memcpy(&sent_at, buf, sizeof sent_at);
    delays.push_back(static_cast<double>(mono_ns() - sent_at) / 1e6);
  }
  cpu = cpu_s(RUSAGE_THREAD) - c0;
  return delays;
}

void send_paced(const Sockets& s, int rate, double seconds, LoadResult& res, double& cpu) {
  pin_to_cpu(0);
  const double c0 = cpu_s(RUSAGE_THREAD);
  char buf[64] = {};
  const std::int64_t start = mono_ns(), gap = 1'000'000'000LL / rate;
  const long total = static_cast<long>(rate * seconds);
  for (long i = 0; i < total; ++i) {
    // Sleep only when more than 50 us ahead (a spinning sender would starve the receiver on the same CPU).
    const std::int64_t due = start + i * gap;
    if (due - mono_ns() > 50'000) {
      const timespec ts{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    }
    const std::int64_t now = mono_ns();
    std::memcpy(buf, &now, sizeof now);
    if (sendto(s.tx, buf, sizeof buf, 0, reinterpret_cast<const sockaddr*>(&s.to), sizeof s.to) == sizeof buf) ++res.sent;
  }
  res.seconds = static_cast<double>(mono_ns() - start) / 1e9;
  cpu = cpu_s(RUSAGE_THREAD) - c0;
}

}  // namespace

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

void enter_netns(const std::string& ns) {
  const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  const bool ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
  if (fd >= 0) close(fd);
  if (!ok) throw std::runtime_error("cannot enter namespace " + ns);
}

double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string line, cpu;
  std::getline(in, line);
  std::istringstream fields(line);
  fields >> cpu;  // the first line sums every CPU: user nice system idle iowait irq softirq steal ...
  double v[8] = {};
  for (double& x : v) fields >> x;
  const double busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return busy / static_cast<double>(sysconf(_SC_CLK_TCK));
}

LoadResult run_load(const testing::ThreeSiteLab& lab, int rate, double seconds) {
  Sockets s;
  open_sockets(lab, s);
  LoadResult res;
  const double proc0 = cpu_s(RUSAGE_SELF), busy0 = machine_busy_seconds();
  std::atomic<bool> sending{true};
  std::vector<double> delays;
  double rx_cpu = 0, tx_cpu = 0;
  std::thread receiver([&] { delays = receive_all(s.rx, sending, rx_cpu); });
  std::thread sender([&] {
    send_paced(s, rate, seconds, res, tx_cpu);
    sending = false;
  });
  sender.join();
  receiver.join();
  res.process_cpu_s = cpu_s(RUSAGE_SELF) - proc0;
  res.machine_busy_s = machine_busy_seconds() - busy0;
  res.load_cpu_s = rx_cpu + tx_cpu;
  res.received = static_cast<long>(delays.size());
  std::sort(delays.begin(), delays.end());
  if (!delays.empty()) {
    res.p50_ms = delays[delays.size() / 2];
    res.p99_ms = delays[delays.size() * 99 / 100];
    res.max_ms = delays.back();
  }
  return res;
}

}  // namespace injector::bench
