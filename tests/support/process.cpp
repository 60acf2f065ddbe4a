#include "support/process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace injector::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

// Runs between fork and exec, so only async-signal-safe calls. On failure the
// errno goes back through the close-on-exec pipe so the parent can throw.
[[noreturn]] void exec_child(int log_fd, int err_fd, char* const* argv) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // a blocked mask would survive exec
  signal(SIGPIPE, SIG_DFL);                  // so would an ignored SIGPIPE
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(log_fd, 1);
  dup2(log_fd, 2);
  execvp(argv[0], argv);
  int e = errno;
  (void)!write(err_fd, &e, sizeof e);
  _exit(127);
}

// Returns the child's exec errno, or 0 once exec succeeded (the pipe closed).
int read_exec_errno(int fd) {
  int e = 0;
  for (;;) {
    ssize_t n = read(fd, &e, sizeof e);
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof e) ? e : 0;
  }
}

void reap_blocking(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path) : log_path_(std::move(log_path)) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int log_fd = open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log_fd < 0) throw_errno("open " + log_path_);
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    throw_errno("pipe2");
  }
  pid_t pid = fork();
  if (pid == 0) exec_child(log_fd, err_pipe[1], cargv.data());
  int fork_errno = errno;
  close(log_fd);
  close(err_pipe[1]);
  if (pid < 0) {
    close(err_pipe[0]);
    errno = fork_errno;
    throw_errno("fork");
  }
  int exec_errno = read_exec_errno(err_pipe[0]);
  close(err_pipe[0]);
  if (exec_errno != 0) {
    reap_blocking(pid);
    throw std::runtime_error("exec " + argv[0] + ": " + std::strerror(exec_errno));
  }
  pid_ = pid;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    reap_blocking(pid_);
  }
}

void ChildProcess::signal(int signo) const {
  // Once reaped the pid may belong to someone else: never signal it again.
  if (pid_ <= 0 || status_) return;
  if (kill(pid_, signo) != 0) throw_errno("kill " + std::to_string(pid_));
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = decode_status(st);
      return status_;
    }
    if (r < 0 && errno != EINTR) throw_errno("waitpid " + std::to_string(pid_));
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace injector::testing
