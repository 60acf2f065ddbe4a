#pragma once
// A file descriptor the delay line owns, and its one way of reporting a
// failed system call (the message names the delay line and the errno).

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace injector::delayline {

[[noreturn]] inline void throw_errno(const std::string& what) {
  throw std::runtime_error("delay line: " + what + ": " + std::strerror(errno) + " (errno " + std::to_string(errno) + ")");
}

class Fd {
 public:
  // Takes a just-returned descriptor; throws (naming `what`) when it is -1.
  explicit Fd(int fd, const char* what) : fd_(fd) {
    if (fd_ < 0) throw_errno(what);
  }
  ~Fd() { close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace injector::delayline
