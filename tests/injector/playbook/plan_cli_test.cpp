// `injector playbook plan` through the CLI's entry point: the per-host plan
// of an isolate on a small inventory, the timeline, an unreadable inventory,
// and that nothing is contacted (beside a command that does contact the same
// sockets, as the positive control).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "injector/cli.h"
#include "tests/injector/playbook/playbook_test_util.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;
using Args = std::vector<std::string>;

struct Run {
  int rc;
  std::string out, err;
};

Run cli(const Args& args) {
  std::ostringstream out, err;
  const int rc = injector::cli::run(args, out, err);
  return {rc, out.str(), err.str()};
}

// Unix sockets that count every connection made to them and close it at once.
class Tripwire {
 public:
  explicit Tripwire(const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
      const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      path.copy(addr.sun_path, sizeof addr.sun_path - 1);
      if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
        ADD_FAILURE() << "cannot listen on " << path;
      }
      fds_.push_back({fd, POLLIN, 0});
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~Tripwire() {
    stop_ = true;
    thread_.join();
    for (const auto& p : fds_) ::close(p.fd);
  }
  int contacts() const { return contacts_; }

 private:
  void serve() {
    while (!stop_) {
      ::poll(fds_.data(), fds_.size(), 20);
      for (const auto& p : fds_) {
        for (int c; (c = ::accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
          ++contacts_;
          ::close(c);
        }
      }
    }
  }
  std::vector<pollfd> fds_;
  std::atomic<int> contacts_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

const std::vector<std::pair<std::string, std::string>> kHosts = {
    {"hz-1", "hz"}, {"hz-2", "hz"}, {"sh-1", "sh"}, {"sz-1", "sz"}, {"users-1", "users"}};

class PlanCli : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir.file(name)) << text;
    return dir.file(name);
  }
  std::string socket_of(const std::string& host) const { return dir.file(host + ".sock"); }
  // hz, sh, sz and users, one network each; every daemon a socket in dir.
  std::string write_inventory(const std::string& name = "inv.yaml") {
    std::string yaml = "version: 1\ndatacenters:\n";
    const std::map<std::string, int> net = {{"hz", 1}, {"sh", 2}, {"sz", 3}, {"users", 9}};
    for (const auto& [dc, n] : net) yaml += "  - {name: " + dc + ", cidrs: [10.77." + std::to_string(n) + ".0/24]}\n";
    yaml += "hosts:\n";
    int i = 10;
    for (const auto& [host, dc] : kHosts) {
      yaml += "  - {name: " + host + ", datacenter: " + dc + ", daemon: \"unix:" + socket_of(host) +
              "\", device: eth0, addresses: [10.77." + std::to_string(net.at(dc)) + "." + std::to_string(++i) + "]}\n";
    }
    return write(name, yaml);
  }
  injector::testing::TempDir dir{"pbplan"};
};

constexpr const char* kIsolate = R"(
version: 1
name: iso
safety: {lease: 5s, max_duration: 2m}
steps:
  - wait: 2s
  - id: cut
    inject: {partition: {isolate: hz}, for: 30s}
  - wait: 1s
)";

TEST_F(PlanCli, IsolateFaultsEveryHostOfTheDatacenterAndOfEachPeerAndContactsNone) {
  std::vector<std::string> sockets;
  for (const auto& [host, dc] : kHosts) sockets.push_back(socket_of(host));
  Tripwire tripwire(sockets);
  const std::string inv = write_inventory();
  const auto r = cli({"playbook", "plan", write("iso.yaml", kIsolate), "--inventory", inv, "--output", "json"});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  const json doc = json::parse(r.out);
  ASSERT_EQ(doc["injects"].size(), 1u);
  const json& cut = doc["injects"][0];
  EXPECT_EQ(cut["path"], "steps[1]");
  EXPECT_EQ(cut["id"], "cut");
  std::map<std::string, std::set<std::string>> peers;  // host -> the datacenters its egress toward is cut
  for (const auto& h : cut["hosts"]) {
    peers[h["host"]] = h["peers"].get<std::set<std::string>>();
    EXPECT_EQ(h["device"], "eth0");
    EXPECT_TRUE(h["spec"]["impairments"].contains("cut")) << h.dump();
    EXPECT_EQ(h["spec"]["labels"]["drill"], "iso");
    EXPECT_EQ(h["spec"]["labels"]["drill.step"], "cut");
  }
  const std::set<std::string> others = {"sh", "sz", "users"}, hz = {"hz"};
  EXPECT_EQ(peers, (std::map<std::string, std::set<std::string>>{
                       {"hz-1", others}, {"hz-2", others}, {"sh-1", hz}, {"sz-1", hz}, {"users-1", hz}}));
  EXPECT_EQ(doc["timeline"][1]["start"]["earliest_ms"], 2000);
  EXPECT_EQ(doc["timeline"][1]["fault_end"]["latest_ms"], 32000);
  EXPECT_EQ(doc["duration"]["end"]["earliest_ms"], 33000);
  EXPECT_EQ(doc["duration"]["fits"], true);
  EXPECT_EQ(doc["safety"]["lease_ms"], 5000);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a connection the tripwire has yet to accept
  EXPECT_EQ(tripwire.contacts(), 0) << "plan contacted a daemon";
  // Positive control: a command that does talk to the daemons reaches these sockets.
  cli({"status", "--inventory", inv});
  for (int i = 0; i < 100 && tripwire.contacts() < 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(tripwire.contacts(), 5) << "the control did not reach the inventory's sockets";
}

TEST_F(PlanCli, TextNamesEachHostAndTheTimeline) {
  write_inventory();
  // The playbook's own inventory, relative to its folder (the test runs elsewhere).
  const auto r = cli({"playbook", "plan", write("iso.yaml", std::string(kIsolate) + "inventory: inv.yaml\n")});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("plan: iso (nothing sent)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  +2s   steps[1] cut: inject partition isolate hz for 30s  [fault +2s to +32s]\n"),
            std::string::npos)
      << r.out;
  for (const auto& [host, dc] : kHosts) EXPECT_NE(r.out.find("      " + host + " (" + dc + ") dev eth0 egress to "), std::string::npos) << host;
  EXPECT_NE(r.out.find("duration: 33s; max_duration 2m: fits\n"), std::string::npos) << r.out;
}

TEST_F(PlanCli, AnInventoryThatCannotBeReadIsExit2NamingIt) {
  const std::string missing = dir.file("missing.yaml");
  const auto own = cli({"playbook", "plan", write("own.yaml", std::string(kIsolate) + "inventory: missing.yaml\n")});
  EXPECT_EQ(own.rc, 2);
  EXPECT_NE(own.out.find("inventory: cannot read '" + missing + "'"), std::string::npos) << own.out;
  const auto flag = cli({"playbook", "plan", write("iso.yaml", kIsolate), "--inventory", missing});
  EXPECT_EQ(flag.rc, 2);
  EXPECT_NE(flag.out.find("--inventory: " + missing), std::string::npos) << flag.out;
  const auto none = cli({"playbook", "plan", dir.file("iso.yaml")});
  EXPECT_EQ(none.rc, 2);
  EXPECT_NE(none.out.find("inventory: is needed to plan steps[1]'s faults"), std::string::npos) << none.out;
  // validate takes the same playbook without an inventory.
  EXPECT_EQ(cli({"playbook", "validate", dir.file("iso.yaml")}).rc, 0);
}

TEST_F(PlanCli, AnInvalidPlaybookIsExit2WithValidatesErrors) {
  const auto r = cli({"playbook", "plan", write("bad.yaml", injector::playbook::testing::with("    wait: 1s\n", "    wait: never\n")),
                      "--inventory", write_inventory()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("steps[0].wait: 'never' is not a duration"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("nothing was sent"), std::string::npos) << r.err;
}

TEST_F(PlanCli, LinkAndHostInjectsInAParallelGroupArePlannedInPlace) {
  const auto r = cli({"playbook", "plan", write("par.yaml", R"(
version: 1
name: par
steps:
  - parallel:
      - id: slow
        inject: {link: {from: hz, to: sz, one_way: true}, impair: {delay: 30ms}, for: 10s}
      - id: lossy
        inject: {host: {host: sh-1, to: [10.99.0.0/16], device: veth9}, impair: {loss: 5%}, for: 5s}
)"), "--inventory", write_inventory(), "--output", "json"});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  const json doc = json::parse(r.out);
  ASSERT_EQ(doc["injects"].size(), 2u);
  EXPECT_EQ(doc["injects"][0]["path"], "steps[0].parallel[0]");
  ASSERT_EQ(doc["injects"][0]["hosts"].size(), 2u) << "one way: hz's hosts only";
  EXPECT_EQ(doc["injects"][0]["hosts"][0]["peers"], json::array({"sz"}));
  const json& lossy = doc["injects"][1];
  ASSERT_EQ(lossy["hosts"].size(), 1u);
  EXPECT_EQ(lossy["hosts"][0]["host"], "sh-1");
  EXPECT_EQ(lossy["hosts"][0]["device"], "veth9");
  EXPECT_EQ(lossy["hosts"][0]["targets"], "10.99.0.0/16");
  EXPECT_EQ(doc["timeline"][0]["end"]["earliest_ms"], 10000);
  EXPECT_EQ(doc["timeline"][0]["children"][1]["fault_end"]["earliest_ms"], 5000);
}

}  // namespace
