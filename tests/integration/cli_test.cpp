// The injector binary as an operator runs it, against a real daemon in a namespace.

#include <fstream>
#include <thread>

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;

class CliRun : public DaemonInLab {
 protected:
  CommandResult injector(std::vector<std::string> args) const {
    args.insert(args.begin(), INJECTOR_BIN);
    return run_command(args);
  }
  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
};

TEST_F(CliRun, ApplyListRevertAsAnOperatorWould) {
  const auto applied = injector({"fault", "apply", "--daemon", endpoint(), "cut", "--dev", "eth0", "--to",
                                 ThreeSiteLab::v4_net('b') + "," + ThreeSiteLab::v6_net('b'), "--for", "5m",
                                 "--label", "drill=test"});
  ASSERT_EQ(applied.status, 0) << applied.out;
  const std::string id = trimmed(applied.out);
  ASSERT_EQ(id.rfind("f-", 0), 0u) << "apply prints only the id: " << applied.out;
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false));
  EXPECT_TRUE(udp_none('a', 'b', true, 'c', true));

  const auto listed = injector({"fault", "list", "--daemon", endpoint()});
  EXPECT_EQ(listed.status, 0);
  EXPECT_NE(listed.out.find(id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("drill=test"), std::string::npos) << listed.out;
  const auto as_json = injector({"fault", "list", "--daemon", endpoint(), "--output", "json"});
  const json parsed = json::parse(as_json.out);
  ASSERT_EQ(parsed["faults"].size(), 1u);
  EXPECT_EQ(parsed["faults"][0]["id"], id);
  EXPECT_LE(parsed["faults"][0]["expires_in_ms"].get<int>(), 300'000);

  const auto reverted = injector({"fault", "revert", "--daemon", endpoint(), id});
  EXPECT_EQ(reverted.status, 0) << reverted.out;
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(CliRun, TargetsFromAFileAndRevertAll) {
  const std::string file = dir_ + "/targets.txt";
  std::ofstream(file) << "# site b\n" << ThreeSiteLab::v4_net('b') << "\n\n" << ThreeSiteLab::v6_net('b') << "  # v6\n";
  const auto applied = injector({"fault", "apply", "--daemon", endpoint(), "cut", "--dev", "eth0", "--to", "@" + file});
  ASSERT_EQ(applied.status, 0) << applied.out;
  EXPECT_TRUE(udp_none('a', 'b', true, 'c', true));
  const auto all = injector({"fault", "revert", "--daemon", endpoint(), "--all"});
  EXPECT_EQ(all.status, 0) << all.out;
  EXPECT_NE(all.out.find(trimmed(applied.out)), std::string::npos);
  EXPECT_EQ(udp('a', 'b', true), 20);
}

TEST_F(CliRun, ErrorsHaveDocumentedExitCodesAndChangeNothing) {
  auto bad_cidr = injector({"fault", "apply", "--daemon", endpoint(), "cut", "--dev", "eth0", "--to", "10.0.0.300/8"});
  EXPECT_EQ(bad_cidr.status, 2) << bad_cidr.out;
  EXPECT_NE(bad_cidr.out.find("--to"), std::string::npos) << bad_cidr.out;
  auto no_dev = injector({"fault", "apply", "--daemon", endpoint(), "cut", "--dev", "nosuch0", "--to", "10.1.0.0/16"});
  EXPECT_EQ(no_dev.status, 4) << no_dev.out;
  EXPECT_NE(no_dev.out.find("device"), std::string::npos) << no_dev.out;
  EXPECT_EQ(injector({"fault", "revert", "--daemon", endpoint(), "f-000000000000"}).status, 5);
  EXPECT_EQ(injector({"fault", "list", "--daemon", "unix:" + dir_ + "/nobody.sock"}).status, 3);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// As Cut.ExpiresAtTheEndOfItsLifetime: not before 2 s, and within 300 ms
// after (15%: an expiry 20% late or early fails).
TEST_F(CliRun, ForExpiresTheFault) {
  const auto sent = Clock::now();
  const auto applied = injector({"fault", "apply", "--daemon", endpoint(), "cut", "--dev", "eth0", "--to",
                                 ThreeSiteLab::v4_net('b'), "--for", "2s"});
  const auto returned = Clock::now();
  ASSERT_EQ(applied.status, 0) << applied.out;
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 3));  // at most 0.7 s
  const Disappearance d = wait_for_no_faults(std::chrono::seconds(5));
  ASSERT_TRUE(d.gone) << "still there 5 s after a 2 s lifetime";
  print_expiry("--for 2s", d, returned, std::chrono::milliseconds(2000));
  EXPECT_GE(d.first_gone - sent, std::chrono::milliseconds(2000)) << "gone before --for ended";
  EXPECT_LT(d.last_seen - returned, std::chrono::milliseconds(2300)) << "still there 300 ms after --for ended";
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

}  // namespace
}  // namespace injector::testing
