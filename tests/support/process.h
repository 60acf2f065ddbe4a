#pragma once
// A child process owned by the test: started with fork+exec (argv, no shell),
// killed and reaped by the destructor.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace injector::testing {

class ChildProcess {
 public:
  // Starts argv; stdout+stderr go to log_path (appended).
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();  // SIGKILL + reap if still running; never throws
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // Waits for exit up to timeout; returns the exit code (128+signal if killed), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string log() const;  // the log file's contents

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

// Waits until a file exists (e.g. a daemon's socket); false on timeout.
bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace injector::testing
