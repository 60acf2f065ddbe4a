#include "support/netns.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace injector::testing {
namespace {

// A hung tool (e.g. a ping without -W) must fail the test, not stall the whole run.
constexpr auto kCommandTimeout = std::chrono::seconds(60);

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Runs between fork and exec, so only async-signal-safe calls.
[[noreturn]] void exec_child(int out_fd, char* const* argv) {
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  execvp(argv[0], argv);
  static const char msg[] = "run_command: exec failed: ";
  (void)!write(2, msg, sizeof msg - 1);
  (void)!write(2, argv[0], std::strlen(argv[0]));
  (void)!write(2, "\n", 1);
  _exit(127);
}

// Reads the child's output until EOF or the deadline; false on timeout.
bool drain(int fd, std::string& out) {
  const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;  // timeout, or poll itself failed: either way kill
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

int reap(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return decode_status(st);
}

constexpr char kSites[] = {'a', 'b', 'c'};

int site_index(char site) {
  switch (site) {
    case 'a': return 1;
    case 'b': return 2;
    case 'c': return 3;
    default: throw std::invalid_argument(std::string("ThreeSiteLab: unknown site '") + site + "'");
  }
}

std::atomic<unsigned> g_lab_counter{0};

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("run_command: empty argv");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    errno = e;
    throw_errno("fork");
  }
  if (pid == 0) exec_child(fds[1], cargv.data());
  close(fds[1]);

  CommandResult res;
  bool finished = drain(fds[0], res.out);
  if (!finished) {
    kill(pid, SIGKILL);
    res.out += "\nrun_command: timed out, killed: " + join(argv) + "\n";
  }
  close(fds[0]);
  res.status = reap(pid);
  return res;
}

std::string run_checked(const std::vector<std::string>& argv) {
  CommandResult r = run_command(argv);
  if (r.status != 0) {
    throw std::runtime_error("command failed (status " + std::to_string(r.status) + "): " + join(argv) + "\n" +
                             r.out);
  }
  return r.out;
}

ThreeSiteLab::ThreeSiteLab()
    : prefix_("injt" + std::to_string(getpid()) + "x" + std::to_string(g_lab_counter.fetch_add(1))) {
  try {
    build();
    verify_connectivity();
  } catch (...) {
    teardown();
    throw;
  }
}

ThreeSiteLab::~ThreeSiteLab() { teardown(); }

void ThreeSiteLab::build() {
  for (char s : {'r', 'a', 'b', 'c'}) {
    const std::string name = prefix_ + "-" + s;
    run_checked({"ip", "netns", "add", name});
    made_.push_back(name);
    run_checked({"ip", "-n", name, "link", "set", "lo", "up"});
    // Addresses are nodad, but link-local ones are not: without this the first
    // IPv6 neighbour exchanges wait ~1 s for DAD and early probes fail.
    run_checked({"ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0",
                 "net.ipv6.conf.default.accept_dad=0"});
  }
  const std::string& r = ns('r');
  for (char s : kSites) {
    const std::string& n = ns(s);
    const std::string i = std::to_string(site_index(s));
    const std::string rdev = std::string("v") + s;
    // Created from inside the site namespace with the peer placed straight in
    // the router, so the root namespace never holds either end.
    run_checked({"ip", "-n", n, "link", "add", "eth0", "type", "veth", "peer", "name", rdev, "netns", r});
    run_checked({"ip", "-n", n, "addr", "add", v4(s) + "/24", "dev", "eth0"});
    run_checked({"ip", "-n", n, "addr", "add", v6(s) + "/64", "dev", "eth0", "nodad"});
    run_checked({"ip", "-n", r, "addr", "add", "10.231." + i + ".1/24", "dev", rdev});
    run_checked({"ip", "-n", r, "addr", "add", "fd31:" + i + "::1/64", "dev", rdev, "nodad"});
    run_checked({"ip", "-n", n, "link", "set", "eth0", "up"});
    run_checked({"ip", "-n", r, "link", "set", rdev, "up"});
    run_checked({"ip", "-n", n, "route", "add", "default", "via", "10.231." + i + ".1"});
    run_checked({"ip", "-n", n, "-6", "route", "add", "default", "via", "fd31:" + i + "::1"});
  }
  run_checked({"ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1",
               "net.ipv6.conf.all.forwarding=1"});
}

void ThreeSiteLab::verify_connectivity() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (char to : {'b', 'c'}) {
    for (const std::string& addr : {v4(to), v6(to)}) {
      for (;;) {
        CommandResult res = exec('a', {"ping", "-c", "1", "-W", "1", addr});
        if (res.status == 0) break;
        if (std::chrono::steady_clock::now() >= deadline) {
          throw std::runtime_error("ThreeSiteLab: no connectivity a -> " + addr + ":\n" + res.out);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
}

void ThreeSiteLab::teardown() noexcept {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    try {
      // A namespace with live processes outlives `ip netns del` (and keeps its
      // veths and routes), so stragglers such as a crashed test's daemon go first.
      CommandResult pids = run_command({"ip", "netns", "pids", *it});
      std::istringstream in(pids.out);
      long pid = 0;
      while (in >> pid) {
        if (pid > 1 && pid != getpid()) kill(static_cast<pid_t>(pid), SIGKILL);
      }
      run_command({"ip", "netns", "del", *it});
    } catch (...) {
      // Keep going: deleting the remaining namespaces matters more than one failure.
    }
  }
  made_.clear();
}

const std::string& ThreeSiteLab::ns(char site) const {
  static constexpr char kOrder[] = {'r', 'a', 'b', 'c'};
  for (size_t i = 0; i < sizeof kOrder; ++i) {
    if (kOrder[i] == site) {
      if (i >= made_.size()) throw std::logic_error("ThreeSiteLab: namespace not created yet");
      return made_[i];
    }
  }
  throw std::invalid_argument(std::string("ThreeSiteLab: unknown site '") + site + "'");
}

std::string ThreeSiteLab::v4(char site) { return "10.231." + std::to_string(site_index(site)) + ".2"; }
std::string ThreeSiteLab::v6(char site) { return "fd31:" + std::to_string(site_index(site)) + "::2"; }
std::string ThreeSiteLab::v4_net(char site) { return "10.231." + std::to_string(site_index(site)) + ".0/24"; }
std::string ThreeSiteLab::v6_net(char site) { return "fd31:" + std::to_string(site_index(site)) + "::/64"; }

CommandResult ThreeSiteLab::exec(char site, const std::vector<std::string>& argv) const {
  std::vector<std::string> full{"ip", "netns", "exec", ns(site)};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full);
}

std::string ThreeSiteLab::tc_snapshot(char site) const {
  std::string snap;
  auto section = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{"tc"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = exec(site, argv);
    // HTB prints its direct queue's packet count with the qdisc: a counter
    // of traffic, not part of the tree's shape.
    r.out = std::regex_replace(r.out, std::regex(" direct_packets_stat [0-9]+"), "");
    snap += "== " + join(argv) + " (status " + std::to_string(r.status) + ")\n" + r.out;
    return r.out;
  };
  const std::string qdiscs = section({"qdisc", "show", "dev", "eth0"});
  const std::string classes = section({"class", "show", "dev", "eth0"});
  // A bare `tc filter show` lists every protocol but only the root qdisc's own
  // filters; filters hung on classes or on ingress/clsact need their parent named.
  section({"filter", "show", "dev", "eth0"});
  std::istringstream lines(classes);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string tag, kind, id;
    if (words >> tag >> kind >> id && tag == "class") section({"filter", "show", "dev", "eth0", "parent", id});
  }
  const bool clsact = qdiscs.find("qdisc clsact") != std::string::npos;
  if (clsact || qdiscs.find("qdisc ingress") != std::string::npos) {
    section({"filter", "show", "dev", "eth0", "ingress"});
  }
  if (clsact) section({"filter", "show", "dev", "eth0", "egress"});
  return snap;
}

std::vector<std::string> namespaces_with_prefix(const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream in(run_checked({"ip", "netns", "list"}));
  std::string line;
  while (std::getline(in, line)) {
    std::string name = line.substr(0, line.find(' '));
    if (name.compare(0, prefix.size(), prefix) == 0) found.push_back(name);
  }
  return found;
}

}  // namespace injector::testing
