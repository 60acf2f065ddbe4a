#include "support/listener.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace injector::testing {
namespace {

// Whether /proc/net/tcp{,6}-format `table` has a socket in LISTEN (state 0A) on `port`.
bool listens_in(std::istream& table, std::uint16_t port) {
  std::string line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    const auto colon = local.rfind(':');
    if (colon == std::string::npos || state != "0A") continue;
    if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) return true;
  }
  return false;
}

// /proc/thread-self/net is the calling thread's namespace, so the tables are
// read on a throwaway thread that entered ns; the caller's thread never moves.
bool listens_in_netns(const std::string& ns, std::uint16_t port) {
  return std::async(std::launch::async, [&ns, port] {
           const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
           if (fd < 0) throw std::runtime_error("open netns " + ns + ": " + std::strerror(errno));
           const int rc = setns(fd, CLONE_NEWNET);
           close(fd);
           if (rc != 0) throw std::runtime_error("setns " + ns + ": " + std::strerror(errno));
           for (const char* table : {"/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"}) {
             std::ifstream in(table);
             if (in && listens_in(in, port)) return true;
           }
           return false;
         })
      .get();
}

}  // namespace

bool wait_for_listener(const std::string& ns, std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (listens_in_netns(ns, port)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace injector::testing
