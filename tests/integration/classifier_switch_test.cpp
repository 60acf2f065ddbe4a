// The classifier switch hold (daemon/tc/classifier_switch.h) on the real
// daemon: it sits in a private network namespace that the daemon alone keeps
// (one descriptor), holds our root and a u32 filter on that namespace's lo,
// touches none of the host's devices, and nothing keeps it once the daemon is
// killed, so the kernel frees it with the daemon.

#include <csignal>
#include <filesystem>
#include <unistd.h>

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

namespace fs = std::filesystem;

std::string link_target(const fs::path& p) {
  std::error_code ec;
  const auto t = fs::read_symlink(p, ec);
  return ec ? "" : t.string();
}

// The descriptors of a process that are network namespaces, as "net:[inode]" -> fd path.
std::map<std::string, std::string> netns_descriptors(pid_t pid) {
  std::map<std::string, std::string> found;
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    const std::string t = link_target(fd.path());
    if (t.rfind("net:[", 0) == 0) found[t] = fd.path().string();
  }
  return found;
}

// Whether any process or thread on the host still refers to a namespace.
bool anyone_holds(const std::string& netns) {
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    const std::string name = proc.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec2;
    for (const auto& task : fs::directory_iterator(proc.path() / "task", ec2)) {
      if (link_target(task.path() / "ns" / "net") == netns) return true;
    }
    for (const auto& fd : fs::directory_iterator(proc.path() / "fd", ec2)) {
      if (link_target(fd.path()) == netns) return true;
    }
  }
  return false;
}

using ClassifierSwitch = DaemonInLab;

TEST_F(ClassifierSwitch, IsHeldInAPrivateNamespaceThatGoesWithTheDaemon) {
  const auto health = api("GET", "/v1/health");
  ASSERT_EQ(health.status, 200);
  EXPECT_EQ(health.body.value("classifier_switch", ""), "held") << daemon_->log();

  const std::string own = link_target("/proc/" + std::to_string(daemon_->pid()) + "/ns/net");
  auto held = netns_descriptors(daemon_->pid());
  held.erase(own);
  ASSERT_EQ(held.size(), 1u) << "one private namespace, besides the daemon's own " << own;
  const auto [netns, fd_path] = *held.begin();

  // Inside it: our root on lo, with u32 filters under it.
  const auto qdiscs = run_checked({"nsenter", "--net=" + fd_path, "tc", "qdisc", "show", "dev", "lo"});
  EXPECT_NE(qdiscs.find("qdisc htb fa17: root"), std::string::npos) << qdiscs;
  const auto filters = run_checked({"nsenter", "--net=" + fd_path, "tc", "filter", "show", "dev", "lo"});
  EXPECT_NE(filters.find("u32"), std::string::npos) << filters;
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_) << "no device of the host changes";

  daemon_->signal(SIGKILL);
  ASSERT_TRUE(daemon_->wait_exit(std::chrono::seconds(5)).has_value());
  EXPECT_FALSE(anyone_holds(netns)) << netns << " outlived the daemon";
}

}  // namespace
}  // namespace injector::testing
