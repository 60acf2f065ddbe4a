// Least privilege on the real daemon (daemon/security/privileges): once it
// serves, /proc says it holds exactly CAP_NET_ADMIN and CAP_NET_RAW in every
// set and thread, with no_new_privs; and every privileged path still works
// on real traffic: a tc cut, an ingress fault through an ifb, the delay line
// (nf_tables, NFQUEUE, raw sockets), a lifetime's expiry and SIGTERM's revert.
// Started as root with a full set, and the way the systemd unit starts it
// (setpriv: only the unit's bounding set, no_new_privs).

#include <csignal>
#include <fstream>
#include <thread>

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;

constexpr std::uint64_t kNetAdminNetRaw = (1ULL << 12) | (1ULL << 13);
// The unit's CapabilityBoundingSet, as setpriv's list.
constexpr const char* kUnitBoundingSet = "-all,+net_admin,+net_raw,+sys_admin,+chown,+setpcap";

struct ProcStatus {
  std::map<std::string, std::string> fields;
  std::uint64_t caps(const std::string& set) const { return std::stoull(fields.at(set), nullptr, 16); }
};

ProcStatus read_status(const std::string& path) {
  ProcStatus s;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    s.fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return s;
}

class Privileges : public DaemonInLab, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    DaemonInLab::SetUp();
    if (IsSkipped() || GetParam() == "root") return;
    daemon_.reset();  // the fixture's plain root start; restart the way the unit does
    start_under_setpriv(kUnitBoundingSet);
    ASSERT_TRUE(wait_for_path(socket_path(), std::chrono::seconds(10))) << daemon_->log();
    ASSERT_EQ(api("GET", "/v1/health").status, 200) << daemon_->log();
  }

  void start_under_setpriv(const std::string& bounding_set) {
    std::filesystem::remove(socket_path());
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"ip", "netns", "exec", lab_->ns('a'), "setpriv", "--bounding-set", bounding_set,
                                 "--inh-caps", "-all", "--no-new-privs", INJECTORD_BIN, "--socket", socket_path(),
                                 "--state-dir", dir_ + "/state"},
        dir_ + "/injectord.log");
  }

  // Every thread of the daemon: the delay line's threads must hold no more.
  void expect_least_privilege() const {
    ASSERT_EQ(api("GET", "/v1/health").status, 200);  // serving: the drop is behind it
    const std::string proc = "/proc/" + std::to_string(daemon_->pid());
    int threads = 0;
    for (const auto& task : std::filesystem::directory_iterator(proc + "/task")) {
      const ProcStatus s = read_status(task.path().string() + "/status");
      ++threads;
      SCOPED_TRACE("thread " + task.path().filename().string());
      EXPECT_EQ(s.caps("CapEff"), kNetAdminNetRaw);
      EXPECT_EQ(s.caps("CapPrm"), kNetAdminNetRaw);
      EXPECT_EQ(s.caps("CapBnd"), kNetAdminNetRaw);
      EXPECT_EQ(s.caps("CapInh"), 0u);
      EXPECT_EQ(s.caps("CapAmb"), 0u);
      EXPECT_EQ(s.fields.at("NoNewPrivs"), "1");
    }
    EXPECT_GE(threads, 1);
  }

  std::string apply(const json& body) const {
    auto a = api("POST", "/v1/faults", body.dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    return a.body.value("id", "");
  }
  static json fault(const std::string& direction, const json& impairments, const std::string& backend = "auto") {
    return {{"device", "eth0"}, {"direction", direction}, {"backend", backend},
            {"match", {{"to", {ThreeSiteLab::v4_net('b')}}}}, {"impairments", impairments}};
  }
  bool ifb_exists() const { return lab_->exec('a', {"ip", "-o", "link", "show"}).out.find("ifbfa17-") != std::string::npos; }
  bool nft_table_exists() const {
    return lab_->exec('a', {"nft", "list", "ruleset"}).out.find("table ip injectord") != std::string::npos;
  }
  void expect_clean() const {
    EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
    EXPECT_FALSE(ifb_exists());
    EXPECT_FALSE(nft_table_exists());
  }
};
INSTANTIATE_TEST_SUITE_P(StartedAs, Privileges, ::testing::Values("root", "unit_bounding_set"));

TEST_P(Privileges, KeepsExactlyNetAdminAndNetRawWithNoNewPrivs) {
  expect_least_privilege();
  EXPECT_NE(daemon_->log().find("kept CAP_NET_ADMIN CAP_NET_RAW"), std::string::npos) << daemon_->log();
}

TEST_P(Privileges, TcCutStillWorksAfterTheDrop) {
  ASSERT_EQ(ping_received(lab_->ns('a'), ThreeSiteLab::v4('b'), 5), 5) << "baseline";
  const std::string id = apply(fault("egress", {{"cut", json::object()}}));
  EXPECT_TRUE(ping_none('a', ThreeSiteLab::v4('b'), ThreeSiteLab::v4('c'), 5)) << "cut (c untouched)";
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_EQ(ping_received(lab_->ns('a'), ThreeSiteLab::v4('b'), 5), 5) << "reverted";
  expect_clean();
}

TEST_P(Privileges, IngressThroughAnIfbStillWorksAfterTheDrop) {
  const std::string id = apply(fault("ingress", {{"cut", json::object()}}));
  EXPECT_TRUE(ifb_exists()) << "created after the drop";
  EXPECT_TRUE(nothing_delivered([&] { return udp('b', 'a', false, 10); }, [&] { return udp('c', 'a', false, 10); }, 10))
      << "b -> a dropped on a's ingress (c -> a, through the same eth0, untouched)";
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_EQ(udp('b', 'a', false, 10), 10);
  expect_clean();
}

TEST_P(Privileges, DelayLineStillDelaysAfterTheDrop) {
  const double base = median_rtt_ms(ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 50));
  // A duplicate goes out through the raw socket with SO_MARK: that path too.
  const std::string id =
      apply(fault("egress", {{"delay", {{"time_us", 30'000}}}, {"duplicate", {{"percent", 50}}}}, "delayline"));
  EXPECT_TRUE(nft_table_exists());
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 100);
  EXPECT_NEAR(median_rtt_ms(replies), base + 30.0, 3.0);
  EXPECT_GT(replies.size(), 110u) << "duplicates came back too: the raw socket sent them";
  expect_least_privilege();  // the delay line's threads, started after the drop
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_NEAR(median_rtt_ms(ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 50)), base, 3.0);
  expect_clean();
}

TEST_P(Privileges, ExpiryAndSigtermRevertAfterTheDrop) {
  json expiring = fault("egress", {{"cut", json::object()}});
  expiring["lifetime"] = {{"duration_ms", 1500}};
  apply(expiring);
  apply(fault("ingress", {{"delay", {{"time_us", 20'000}}}}, "delayline"));
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false, 3));
  // Wait for the expiry itself (its timing is Cut.ExpiresAtTheEndOfItsLifetime's).
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (api("GET", "/v1/faults").body["faults"].size() > 1 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 1u) << "the cut expired";
  EXPECT_EQ(udp('a', 'b', false, 5), 5);
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait_exit(std::chrono::seconds(10)), 0) << daemon_->log();
  expect_clean();
}

TEST_P(Privileges, CleanupAfterAKillRemovesEverythingWithTheSameDrop) {
  apply(fault("ingress", {{"cut", json::object()}}));
  apply(fault("egress", {{"delay", {{"time_us", 10'000}}}}, "delayline"));
  daemon_->signal(SIGKILL);
  daemon_->wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(ifb_exists());
  std::vector<std::string> argv{"ip", "netns", "exec", lab_->ns('a')};
  if (GetParam() != "root") {
    argv.insert(argv.end(), {"setpriv", "--bounding-set", kUnitBoundingSet, "--inh-caps", "-all", "--no-new-privs"});
  }
  argv.insert(argv.end(), {INJECTORD_BIN, "--cleanup", "--socket", socket_path(), "--state-dir", dir_ + "/state"});
  ChildProcess cleanup(argv, dir_ + "/cleanup.log");
  EXPECT_EQ(cleanup.wait_exit(std::chrono::seconds(20)), 0) << cleanup.log();
  EXPECT_NE(cleanup.log().find("kept CAP_NET_ADMIN CAP_NET_RAW"), std::string::npos) << cleanup.log();
  expect_clean();
}

// Without CAP_SETPCAP the bounding set cannot shrink: the daemon must refuse
// to serve rather than serve with more than it should.
TEST_P(Privileges, RefusesToServeWhenTheDropFails) {
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait_exit(std::chrono::seconds(10)), 0);
  start_under_setpriv("-all,+net_admin,+net_raw,+sys_admin,+chown");
  EXPECT_EQ(daemon_->wait_exit(std::chrono::seconds(10)), 1) << daemon_->log();
  EXPECT_NE(daemon_->log().find("CAP_SETPCAP"), std::string::npos) << daemon_->log();
  EXPECT_FALSE(std::filesystem::exists(socket_path())) << "the socket goes with the refusal";
  expect_clean();
}

}  // namespace
}  // namespace injector::testing
