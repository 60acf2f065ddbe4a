#pragma once
// Network namespaces made by a test, removed by the destructor even when the
// test fails. Names are unique per process so parallel runs never collide.

#include <string>
#include <vector>

namespace injector::testing {

// Runs an argv (no shell) and returns its exit status; output captured.
struct CommandResult {
  int status = -1;  // exit code, or 128+signal
  std::string out;  // stdout and stderr interleaved
};
CommandResult run_command(const std::vector<std::string>& argv);
// Same, but throws std::runtime_error with the command and its output if status != 0.
std::string run_checked(const std::vector<std::string>& argv);

// Three namespaces a, b and c, each with one veth "eth0" to a router namespace
// that forwards IPv4 and IPv6 between them. Addresses:
//   a: 10.231.1.2/24 fd31:1::2/64   b: 10.231.2.2/24 fd31:2::2/64   c: 10.231.3.2/24 fd31:3::2/64
// (router side .1 / ::1 on each subnet, default routes via the router).
class ThreeSiteLab {
 public:
  ThreeSiteLab();   // throws with the failing command on error, after removing what it made
  ~ThreeSiteLab();  // deletes every namespace it made; never throws
  ThreeSiteLab(const ThreeSiteLab&) = delete;
  ThreeSiteLab& operator=(const ThreeSiteLab&) = delete;

  const std::string& ns(char site) const;  // 'a', 'b', 'c' or 'r' (router)
  static std::string v4(char site);        // "10.231.1.2" ...
  static std::string v6(char site);        // "fd31:1::2" ...
  static std::string v4_net(char site);    // "10.231.1.0/24"
  static std::string v6_net(char site);    // "fd31:1::/64"

  // `ip netns exec NS argv...`
  CommandResult exec(char site, const std::vector<std::string>& argv) const;
  // `tc qdisc show dev eth0` + `tc class show` + `tc filter show` (both protocols) in a site:
  // a textual snapshot of everything traffic control holds on the device.
  std::string tc_snapshot(char site) const;

 private:
  void build();
  void verify_connectivity() const;
  void teardown() noexcept;

  std::string prefix_;
  std::vector<std::string> made_;  // namespace names in creation order: r, a, b, c
};

// Names of namespaces whose name starts with prefix (from `ip netns list`).
std::vector<std::string> namespaces_with_prefix(const std::string& prefix);

}  // namespace injector::testing
