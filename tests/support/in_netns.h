#pragma once
// Runs a function on a fresh thread inside a network namespace, so netlink
// sockets the code under test opens live there; the caller's thread never
// changes namespace. Returns fn's result or rethrows its exception.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <string>

namespace injector::testing {

template <class F>
auto in_netns(const std::string& ns, F fn) {
  return std::async(std::launch::async, [&ns, &fn] {
           const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
           if (fd < 0) throw std::runtime_error("open netns " + ns + ": " + std::strerror(errno));
           const int rc = setns(fd, CLONE_NEWNET);
           close(fd);
           if (rc != 0) throw std::runtime_error("setns " + ns + ": " + std::strerror(errno));
           return fn();
         })
      .get();
}

}  // namespace injector::testing
