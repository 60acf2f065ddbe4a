// Self-test of the integration-test support library. Needs root; not part of
// the project's build (compile it alongside support/*.cpp by hand).

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/netns.h"
#include "support/probes.h"
#include "support/process.h"

namespace injector::testing {
namespace {

using std::chrono::milliseconds;

std::string temp_path(const std::string& tag) {
  return "/tmp/injt-selftest-" + std::to_string(getpid()) + "-" + tag;
}

TEST(RunCommand, ReportsExitCodesAndOutput) {
  EXPECT_EQ(run_command({"true"}).status, 0);
  EXPECT_EQ(run_command({"false"}).status, 1);
  EXPECT_EQ(run_command({"sh", "-c", "exit 7"}).status, 7);
  EXPECT_EQ(run_command({"sh", "-c", "kill -TERM $$"}).status, 128 + SIGTERM);
  EXPECT_EQ(run_command({"/nonexistent/binary"}).status, 127);

  CommandResult r = run_command({"sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "out\nerr\n");
  EXPECT_EQ(run_checked({"echo", "hi"}), "hi\n");
  EXPECT_THROW(run_checked({"false"}), std::runtime_error);
}

TEST(ChildProcessTest, SignalAndWaitExit) {
  const std::string log = temp_path("sleep.log");
  {
    ChildProcess p({"/bin/sleep", "10"}, log);
    EXPECT_GT(p.pid(), 0);
    EXPECT_EQ(p.wait_exit(milliseconds(50)), std::nullopt);
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait_exit(milliseconds(2000)), 128 + SIGTERM);
    EXPECT_EQ(p.wait_exit(milliseconds(0)), 128 + SIGTERM);  // cached once reaped
  }
  std::remove(log.c_str());
}

TEST(ChildProcessTest, LogsOutputAndReportsExitCode) {
  const std::string log = temp_path("sh.log");
  {
    ChildProcess p({"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"}, log);
    EXPECT_EQ(p.wait_exit(milliseconds(5000)), 3);
    EXPECT_NE(p.log().find("to-out"), std::string::npos);
    EXPECT_NE(p.log().find("to-err"), std::string::npos);
  }
  std::remove(log.c_str());
}

TEST(ChildProcessTest, ExecFailureThrows) {
  const std::string log = temp_path("missing.log");
  EXPECT_THROW(ChildProcess({"/nonexistent/binary"}, log), std::runtime_error);
  std::remove(log.c_str());
}

TEST(ChildProcessTest, DestructorKillsRunningChild) {
  const std::string log = temp_path("kill.log");
  pid_t pid = -1;
  {
    ChildProcess p({"/bin/sleep", "10"}, log);
    pid = p.pid();
  }
  EXPECT_NE(kill(pid, 0), 0);  // reaped, so gone
  std::remove(log.c_str());
}

TEST(WaitForPath, SeesFileAndTimesOut) {
  const std::string path = temp_path("flag");
  EXPECT_FALSE(wait_for_path(path, milliseconds(50)));
  ChildProcess p({"/bin/sh", "-c", "sleep 0.1; touch " + path}, temp_path("touch.log"));
  EXPECT_TRUE(wait_for_path(path, milliseconds(5000)));
  EXPECT_EQ(p.wait_exit(milliseconds(5000)), 0);
  std::remove(path.c_str());
  std::remove(temp_path("touch.log").c_str());
}

std::string prefix_of(const ThreeSiteLab& lab) {
  const std::string& a = lab.ns('a');
  return a.substr(0, a.size() - 2);  // drop "-a"
}

TEST(ThreeSiteLabTest, TrafficFlowsThenBlackholeCutsOnlyB) {
  constexpr int kCount = 20;
  std::string prefix;
  {
    ThreeSiteLab lab;
    prefix = prefix_of(lab);
    ASSERT_EQ(namespaces_with_prefix(prefix).size(), 4u);
    const std::string &a = lab.ns('a'), &b = lab.ns('b'), &c = lab.ns('c');

    EXPECT_EQ(udp_echo_delivered(a, b, ThreeSiteLab::v4('b'), kCount), kCount);
    EXPECT_EQ(udp_echo_delivered(a, b, ThreeSiteLab::v6('b'), kCount), kCount);
    EXPECT_TRUE(tcp_connects(a, c, ThreeSiteLab::v4('c')));
    EXPECT_TRUE(tcp_connects(a, c, ThreeSiteLab::v6('c')));
    EXPECT_EQ(ping_received(a, ThreeSiteLab::v4('b'), 5), 5);
    EXPECT_EQ(ping_received(a, ThreeSiteLab::v6('b'), 5), 5);

    run_checked({"ip", "-n", a, "route", "add", "blackhole", ThreeSiteLab::v4_net('b')});
    run_checked({"ip", "-n", a, "-6", "route", "add", "blackhole", ThreeSiteLab::v6_net('b')});

    EXPECT_EQ(udp_echo_delivered(a, b, ThreeSiteLab::v4('b'), 5, milliseconds(100)), 0);
    EXPECT_EQ(udp_echo_delivered(a, b, ThreeSiteLab::v6('b'), 5, milliseconds(100)), 0);
    EXPECT_FALSE(tcp_connects(a, b, ThreeSiteLab::v4('b'), milliseconds(300)));
    EXPECT_FALSE(tcp_connects(a, b, ThreeSiteLab::v6('b'), milliseconds(300)));
    EXPECT_EQ(ping_received(a, ThreeSiteLab::v4('b'), 3), 0);

    EXPECT_EQ(udp_echo_delivered(a, c, ThreeSiteLab::v4('c'), kCount), kCount);
    EXPECT_EQ(udp_echo_delivered(a, c, ThreeSiteLab::v6('c'), kCount), kCount);
    EXPECT_TRUE(tcp_connects(a, c, ThreeSiteLab::v4('c')));
    EXPECT_TRUE(tcp_connects(a, c, ThreeSiteLab::v6('c')));
  }
  EXPECT_TRUE(namespaces_with_prefix(prefix).empty());
}

TEST(ThreeSiteLabTest, SnapshotShowsClassFiltersAndReturnsToBaseline) {
  ThreeSiteLab lab;
  const std::string baseline = lab.tc_snapshot('b');
  EXPECT_NE(baseline.find("== tc qdisc show dev eth0"), std::string::npos);
  EXPECT_NE(baseline.find("== tc filter show dev eth0"), std::string::npos);

  lab.exec('b', {"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb"});
  lab.exec('b', {"tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:1", "htb", "rate", "1gbit"});
  run_checked({"ip", "netns", "exec", lab.ns('b'), "tc", "filter", "add", "dev", "eth0", "parent", "1:", "protocol",
               "ipv6", "prio", "2", "u32", "match", "ip6", "dst", "fd31:1::/64", "flowid", "1:1"});
  run_checked({"ip", "netns", "exec", lab.ns('b'), "tc", "filter", "add", "dev", "eth0", "parent", "1:1",
               "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "10.231.1.0/24", "flowid", "1:1"});
  const std::string shaped = lab.tc_snapshot('b');
  EXPECT_NE(shaped.find("htb 1:"), std::string::npos) << shaped;
  EXPECT_NE(shaped.find("protocol ipv6"), std::string::npos) << shaped;
  EXPECT_NE(shaped.find("parent 1:1 (status 0)\nfilter protocol ip "), std::string::npos) << shaped;
  // A filter on a class must still let traffic through the htb tree.
  EXPECT_EQ(udp_echo_delivered(lab.ns('a'), lab.ns('b'), ThreeSiteLab::v4('b'), 5), 5);

  run_checked({"ip", "netns", "exec", lab.ns('b'), "tc", "qdisc", "del", "dev", "eth0", "root"});
  EXPECT_EQ(lab.tc_snapshot('b'), baseline);
}

TEST(ThreeSiteLabTest, TwoLabsAtOnceHaveDistinctNames) {
  ThreeSiteLab one;
  ThreeSiteLab two;
  EXPECT_NE(one.ns('a'), two.ns('a'));
  EXPECT_NE(one.ns('r'), two.ns('r'));
  EXPECT_EQ(ThreeSiteLab::v4_net('c'), "10.231.3.0/24");
  EXPECT_EQ(ThreeSiteLab::v6_net('a'), "fd31:1::/64");
  EXPECT_THROW(one.ns('x'), std::invalid_argument);
}

TEST(ThreeSiteLabTest, ConstructorFailureRemovesWhatItMade) {
  std::string next_prefix;
  {
    ThreeSiteLab probe;
    // Names are injt<pid>x<counter>: the next lab in this process gets counter + 1.
    const std::string p = prefix_of(probe);
    const size_t x = p.rfind('x');
    next_prefix = p.substr(0, x + 1) + std::to_string(std::stoul(p.substr(x + 1)) + 1);
  }
  const std::string squatter = next_prefix + "-b";
  run_checked({"ip", "netns", "add", squatter});  // makes the lab's third `ip netns add` fail
  EXPECT_THROW(ThreeSiteLab(), std::runtime_error);
  EXPECT_EQ(namespaces_with_prefix(next_prefix), std::vector<std::string>{squatter});
  run_checked({"ip", "netns", "del", squatter});
}

// True once pid has exited (gone, or a zombie awaiting its new parent's reap).
bool exited_within(long pid, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, comm, state;
    if (!(stat >> pid_field >> comm >> state) || state == "Z") return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

TEST(ThreeSiteLabTest, DestructorKillsProcessesLeftInNamespaces) {
  std::string prefix;
  long pid = 0;
  {
    ThreeSiteLab lab;
    prefix = prefix_of(lab);
    // setsid -f detaches it (not our child, so only the lab can end it); the
    // redirections keep it from holding run_command's output pipe open.
    run_checked({"ip", "netns", "exec", lab.ns('b'), "sh", "-c", "setsid -f sleep 300 </dev/null >/dev/null 2>&1"});
    std::istringstream pids(run_checked({"ip", "netns", "pids", lab.ns('b')}));
    ASSERT_TRUE(pids >> pid);
  }
  EXPECT_TRUE(namespaces_with_prefix(prefix).empty());
  EXPECT_TRUE(exited_within(pid, milliseconds(2000)));
}

}  // namespace
}  // namespace injector::testing
