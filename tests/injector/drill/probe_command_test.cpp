// The command probe with real programs: exit status, stdout, a timeout that
// kills (and reaps) what the program started, a program that is not there.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>
#include <thread>

#include "injector/drill/probes.h"
#include "tests/injector/drill/probe_test_util.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector::drill;
using namespace injector::drill::testing;
using std::chrono::milliseconds;

ProbeResult run(std::vector<std::string> argv, milliseconds timeout = milliseconds(5000)) {
  return run_probe_once(command_probe(std::move(argv), timeout));
}

// Whether process `pid` still runs: gone, or a zombie of someone else's
// (a container's init may reap late), both count as dead.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  if (text.empty()) return false;
  const auto close_paren = text.rfind(')');
  return close_paren == std::string::npos || text.size() < close_paren + 3 || text[close_paren + 2] != 'Z';
}

TEST(CommandProbe, ExitStatusDecides) {
  const ProbeResult ok = run({"/bin/true"});
  EXPECT_EQ(ok.observed, Observed::kOk) << ok.detail;
  EXPECT_EQ(ok.value, 0.0);
  const ProbeResult fail = run({"/bin/false"});
  EXPECT_EQ(fail.observed, Observed::kFail) << fail.detail;
  EXPECT_EQ(fail.value, 1.0);

  auto expects_one = command_probe({"/bin/false"});
  command_of(expects_one).status = 1;
  EXPECT_EQ(run_probe_once(expects_one).observed, Observed::kOk);
  command_of(expects_one).argv = {"/bin/true"};
  EXPECT_EQ(run_probe_once(expects_one).observed, Observed::kFail);
}

TEST(CommandProbe, StdoutIsSearchedWithTheRegex) {
  auto p = command_probe({"/bin/echo", "replicas ready: 3/3"});
  command_of(p).stdout_match = "ready: (\\d)/\\1";
  EXPECT_EQ(run_probe_once(p).observed, Observed::kOk);
  command_of(p).argv = {"/bin/echo", "replicas ready: 2/3"};
  const ProbeResult r = run_probe_once(p);
  EXPECT_EQ(r.observed, Observed::kFail);
  EXPECT_NE(r.detail.find("stdout"), std::string::npos) << r.detail;
}

TEST(CommandProbe, ArgumentsReachTheProgramWithoutAShell) {
  // A shell would expand the $ and glob the *; exec passes them as they are.
  auto p = command_probe({"/bin/echo", "$HOME *"});
  command_of(p).stdout_match = "^\\$HOME \\*\\n$";
  EXPECT_EQ(run_probe_once(p).observed, Observed::kOk);
  command_of(p).stdout_match = "^/";
  EXPECT_EQ(run_probe_once(p).observed, Observed::kFail);
}

TEST(CommandProbe, ATimeoutIsUnknownAndTheProgramIsKilledAndReaped) {
  EXPECT_EQ(run({"sleep", "0"}, milliseconds(200)).observed, Observed::kOk);
  const auto start = std::chrono::steady_clock::now();
  const ProbeResult r = run({"sleep", "5"}, milliseconds(200));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.observed, Observed::kUnknown) << r.detail;
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, milliseconds(3000)) << "waited for the program instead of killing it";
  // No child of ours is left, not even a zombie.
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(CommandProbe, ATimeoutKillsWhatTheProgramStartedToo) {
  injector::testing::TempDir dir("probecmd");
  const std::string pids = dir.file("pids");
  const ProbeResult r = run({"/bin/sh", "-c", "sleep 5 & echo $$ $! > " + pids + "; wait"}, milliseconds(1000));
  EXPECT_EQ(r.observed, Observed::kUnknown) << r.detail;
  std::ifstream f(pids);
  pid_t shell = -1, sleeper = -1;
  ASSERT_TRUE(f >> shell >> sleeper) << "the shell did not start in 1 s";
  EXPECT_FALSE(alive(shell));
  // SIGKILL is delivered at once, but a reparented process dies when it is next scheduled.
  for (int i = 0; i < 200 && alive(sleeper); ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_FALSE(alive(sleeper)) << "the program's child outlived the probe";
}

TEST(CommandProbe, AProgramThatIsNotThereFailsWithAClearDetail) {
  EXPECT_EQ(run({"/bin/true"}).observed, Observed::kOk);
  const ProbeResult path = run({"/nonexistent/check-health"});
  EXPECT_EQ(path.observed, Observed::kFail);
  EXPECT_NE(path.detail.find("/nonexistent/check-health"), std::string::npos) << path.detail;
  EXPECT_NE(path.detail.find("No such file"), std::string::npos) << path.detail;
  const ProbeResult search = run({"no-such-program-for-probes"});
  EXPECT_EQ(search.observed, Observed::kFail);
  EXPECT_NE(search.detail.find("no-such-program-for-probes"), std::string::npos) << search.detail;
}

TEST(CommandProbe, AProgramKilledByASignalFails) {
  const ProbeResult r = run({"/bin/sh", "-c", "kill -9 $$"});
  EXPECT_EQ(r.observed, Observed::kFail);
  EXPECT_NE(r.detail.find("signal 9"), std::string::npos) << r.detail;
}

TEST(CommandProbe, AnExitStatusReapedElsewhereIsUnknownNotOk) {
  EXPECT_EQ(run({"/bin/true"}).observed, Observed::kOk);
  // With SIGCHLD ignored the kernel reaps children itself: the status is gone.
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGCHLD, &ignore, &old), 0);
  const ProbeResult r = run({"/bin/true"});
  ::sigaction(SIGCHLD, &old, nullptr);
  EXPECT_EQ(r.observed, Observed::kUnknown) << r.detail;
}

TEST(CommandProbe, ALargeOutputDoesNotBlockTheProgram) {
  // 1 MB is far more than a pipe holds: the probe must keep reading, and the
  // program's writes must block (not fail) while the pipe is full. `set -e`:
  // a failed write fails the program.
  auto p = command_probe({"/bin/sh", "-ec", "head -c 1000000 /dev/zero; echo end"}, milliseconds(5000));
  const ProbeResult r = run_probe_once(p);
  EXPECT_EQ(r.observed, Observed::kOk) << r.detail;
  command_of(p).stdout_match = "end";  // beyond the 64 KiB that are kept
  EXPECT_EQ(run_probe_once(p).observed, Observed::kFail);
}

}  // namespace
