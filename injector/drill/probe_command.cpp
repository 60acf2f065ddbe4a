// The command probe: argv run WITHOUT a shell (posix_spawnp), stdout read
// through a pipe, the exit status and stdout judged. The program runs in a
// process group of its own, so a timeout kills what it started too, and a
// Ctrl-C at the drill's terminal reaches the drill, not the probe.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "injector/drill/probe_kinds.h"
#include "common/strings.h"

extern char** environ;

namespace injector::drill::probe_detail {

namespace {

using Clock = std::chrono::steady_clock;

// Closes on scope exit; the probe has several early returns.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
};

// Spawn attributes: a new process group, no blocked signals and default
// dispositions (a mask or an ignored SIGPIPE of ours would survive exec),
// stdin and stderr /dev/null, stdout the pipe, nothing else inherited.
int spawn_child(pid_t& pid, const std::vector<std::string>& argv, int stdout_fd) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, stdout_fd, 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

// Reads what is in the pipe now, keeping at most kMatchLimit bytes (the rest
// is read and dropped so the program never blocks on a full pipe). False at
// end of file.
bool drain(int fd, std::string& out) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      const std::size_t room = kMatchLimit - std::min(out.size(), kMatchLimit);
      out.append(buf, std::min(room, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // EAGAIN: still open, nothing more for now; 0 (end of file) or an error: done.
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// Waits until the child exits (pidfd readable) or the deadline; reads stdout
// meanwhile. True when it exited (not yet reaped). Does not wait for the end
// of stdout: something the program left running may hold the pipe open.
bool wait_exit(int pidfd, int out_fd, Clock::time_point deadline, std::string& out) {
  bool open = true;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {open ? out_fd : -1, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno != EINTR) return false;
    if (n <= 0) continue;
    if (fds[1].revents != 0) open = drain(out_fd, out);
    if (fds[0].revents != 0) {
      if (open) drain(out_fd, out);  // what it wrote before exiting
      return true;
    }
  }
}

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so a C++
// call does not link: the system call directly.
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// The child's wait status; nullopt when it was reaped elsewhere (SIGCHLD
// ignored, or someone's waitpid(-1)): then how it ended is not known.
std::optional<int> reap(pid_t pid) {
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, 0) == pid) return status;
    if (errno != EINTR) return std::nullopt;
  }
}

Observation judge_exit(const playbook::CommandProbe& p, int status, const std::string& out) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return {Observed::kFail, "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")", {}};
  }
  const int code = WEXITSTATUS(status);
  const double value = code;
  if (code != p.status) {
    return {Observed::kFail, "exit status " + std::to_string(code) + ", expected " + std::to_string(p.status), value};
  }
  if (!p.stdout_match.empty()) {
    std::string why;
    const auto found = regex_found(p.stdout_match, out, &why);
    if (!found) return {Observed::kUnknown, "stdout_match /" + p.stdout_match + "/: " + why, value};
    if (!*found) return {Observed::kFail, "stdout does not match /" + p.stdout_match + "/", value};
  }
  return {Observed::kOk, "exit status " + std::to_string(code), value};
}

}  // namespace

Observation check_command(const playbook::CommandProbe& p, std::chrono::milliseconds timeout) {
  if (p.argv.empty()) return {Observed::kUnknown, "no program to run (empty argv)", {}};
  const auto deadline = Clock::now() + timeout;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return {Observed::kUnknown, std::string("pipe: ") + std::strerror(errno), {}};
  }
  OwnedFd out{pipe_fds[0]}, child_end{pipe_fds[1]};
  // Our end only: a non-blocking stdout would make the program's writes fail
  // with EAGAIN whenever the pipe is full.
  ::fcntl(out.fd, F_SETFL, O_NONBLOCK);
  pid_t pid = -1;
  const int rc = spawn_child(pid, p.argv, child_end.fd);
  if (rc != 0) {
    // The system's answer to "run this": a missing program is a failed check.
    return {Observed::kFail, "cannot run " + quote_input(p.argv[0]) + ": " + std::strerror(rc), {}};
  }
  ::close(child_end.fd);
  child_end.fd = -1;
  OwnedFd pidfd{open_pidfd(pid)};
  const int pidfd_errno = errno;
  std::string stdout_text;
  const bool exited = pidfd.fd >= 0 && wait_exit(pidfd.fd, out.fd, deadline, stdout_text);
  if (!exited) {
    // The group first, while the unreaped child keeps its id from reuse.
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    reap(pid);
    if (pidfd.fd < 0) return {Observed::kUnknown, std::string("pidfd_open: ") + std::strerror(pidfd_errno), {}};
    return {Observed::kUnknown,
            "no exit within " + std::to_string(timeout.count()) + " ms: killed (pid " + std::to_string(pid) + ")", {}};
  }
  const auto status = reap(pid);
  if (!status) return {Observed::kUnknown, "the program's exit status was lost (reaped elsewhere)", {}};
  return judge_exit(p, *status, stdout_text);
}

}  // namespace injector::drill::probe_detail
