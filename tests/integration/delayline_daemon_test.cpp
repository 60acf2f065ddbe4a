// The delay line on this machine's kernel (no sch_netem): the behaviour shared
// with netem, plus what only the delay line has — its nf_tables rules, and
// traffic that flows on when the daemon dies.

#include <chrono>
#include <csignal>
#include <thread>

#include "integration/impairment_behaviour.h"

namespace injector::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

INSTANTIATE_TEST_SUITE_P(DelayLine, Behaviour, ::testing::Values("delayline"));

class DelayLine : public Behaviour {
 protected:
  std::string ruleset() const { return lab_->exec('a', {"nft", "list", "ruleset"}).out; }
  bool has_our_table() const { return ruleset().find("table ip injectord") != std::string::npos; }
  std::string apply_delay(int delay_ms, int lifetime_ms) {
    json body = {{"device", "eth0"}, {"match", {{"to", {ThreeSiteLab::v4_net('b')}}}},
                 {"impairments", {{"delay", {{"time_us", delay_ms * 1000}}}}},
                 {"lifetime", {{"duration_ms", lifetime_ms}}}};
    auto a = api("POST", "/v1/faults", body.dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(a.body.value("backend", ""), "delayline") << "auto, on a kernel without netem";
    return a.body.value("id", "");
  }
  int got_queue(const std::string& id) const {
    const json kernel = api("GET", "/v1/faults/" + id).body["kernel"];
    return kernel["queues"].empty() ? -1 : kernel["queues"][0].value("nfqueue", -1);
  }
  void kill_daemon() {
    daemon_->signal(SIGKILL);
    daemon_->wait_exit(std::chrono::seconds(5));
  }
};
INSTANTIATE_TEST_SUITE_P(DelayLine, DelayLine, ::testing::Values("delayline"));

TEST_P(DelayLine, RulesLiveInATableOfOursAndGoWithTheFault) {
  const std::string id = apply_delay(10, 60'000);
  const std::string rules = ruleset();
  EXPECT_NE(rules.find("table ip injectord"), std::string::npos) << rules;
  const std::string queue = std::to_string(got_queue(id));
  EXPECT_NE(rules.find("queue num " + queue + " bypass"), std::string::npos) << rules;
  EXPECT_NE(rules.find("10.231.2.0/24"), std::string::npos) << "the target, in a set of ours: " << rules;
  EXPECT_EQ(rules.find("table ip6 injectord"), std::string::npos) << "an IPv4-only fault queues no IPv6";
  const auto got = api("GET", "/v1/faults/" + id).body;
  EXPECT_EQ(got["kernel"].value("nft_table", ""), "injectord") << got.dump();
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_FALSE(has_our_table()) << ruleset();
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_) << "the delay line touches no traffic control";
}

TEST_P(DelayLine, CountersShowWhatTheQueueDid) {
  const std::string id = apply({{"delay", {{"time_us", 5000}}}, {"loss", {{"percent", 50}}}}, {ThreeSiteLab::v4_net('b')});
  const int answered = static_cast<int>(ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 200, 0.005).size());
  const json c = api("GET", "/v1/faults/" + id).body["counters"];
  EXPECT_EQ(c.value("packets_seen", 0), 200) << c.dump();
  EXPECT_EQ(c.value("packets_sent", 0) + c.value("packets_dropped", 0), 200) << c.dump();
  EXPECT_EQ(c.value("packets_sent", 0), answered) << c.dump();
  EXPECT_EQ(c.value("packets_delayed", 0), c.value("packets_sent", 0)) << c.dump();
}

// Never touch what another tool owns: a table named like ours but not marked ours.
TEST_P(DelayLine, AForeignTableUnderOurNameIsRefusedAndLeftAlone) {
  ASSERT_EQ(lab_->exec('a', {"nft", "add", "table", "ip", "injectord"}).status, 0);
  const std::string before = ruleset();
  json body = {{"device", "eth0"}, {"match", {{"to", {ThreeSiteLab::v4_net('b')}}}},
               {"impairments", {{"delay", {{"time_us", 10000}}}}}};
  const auto a = api("POST", "/v1/faults", body.dump());
  EXPECT_EQ(a.status, 409) << a.body.dump();
  EXPECT_EQ(ruleset(), before);
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 0u);
  lab_->exec('a', {"nft", "delete", "table", "ip", "injectord"});
}

TEST_P(DelayLine, DuplicatesOnIngressAreRefusedNamingWhy) {
  json body = {{"device", "eth0"}, {"direction", "ingress"}, {"backend", "delayline"},
               {"match", {{"to", {ThreeSiteLab::v4_net('b')}}}}, {"impairments", {{"duplicate", {{"percent", 5}}}}}};
  const auto a = api("POST", "/v1/faults", body.dump());
  EXPECT_EQ(a.status, 422) << a.body.dump();
  EXPECT_NE(a.body["error"].value("message", "").find("egress only"), std::string::npos) << a.body.dump();
  EXPECT_FALSE(has_our_table());
}

// Queue bypass: with nobody reading the queue, the kernel lets packets by.
TEST_P(DelayLine, AKilledDaemonLeavesTrafficFlowingUndelayed) {
  apply_delay(50, 300'000);
  ASSERT_NEAR(median('a', ThreeSiteLab::v4('b')), 50.0, tolerance(50)) << "delayed while the daemon runs";
  kill_daemon();
  EXPECT_TRUE(has_our_table()) << "nobody removed the rule";
  const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 50, 0.01);
  EXPECT_EQ(replies.size(), 50u) << "not black-holed";
  EXPECT_LT(median_rtt_ms(replies), tolerance(0)) << "and not delayed";
}

TEST_P(DelayLine, ARestartResumesAFaultWhoseLifetimeGoesOn) {
  const std::string id = apply_delay(30, 300'000);
  kill_daemon();
  start_daemon();
  const auto a = api("GET", "/v1/faults/" + id);
  ASSERT_EQ(a.status, 200) << a.body.dump();
  EXPECT_EQ(a.body.value("backend", ""), "delayline");
  EXPECT_NEAR(median('a', ThreeSiteLab::v4('b')), 30.0, tolerance(30)) << "delayed again";
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_FALSE(has_our_table());
}

TEST_P(DelayLine, ARestartAfterTheLifetimeEndedRemovesOurRulesWithinASecond) {
  apply_delay(30, 1000);
  kill_daemon();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_TRUE(has_our_table());
  daemon_.reset();
  // The killed daemon's socket file is still there: gone, so the wait below
  // sees the new daemon's socket, not the dead one's.
  std::filesystem::remove(socket_path());
  const auto started = Clock::now();
  std::vector<std::string> argv{"ip", "netns", "exec", lab_->ns('a'), INJECTORD_BIN,
                                "--socket", socket_path(), "--state-dir", dir_ + "/state"};
  daemon_ = std::make_unique<ChildProcess>(argv, dir_ + "/injectord.log");
  while (has_our_table() && Clock::now() - started < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_FALSE(has_our_table());
  EXPECT_LT(took.count(), 1000) << "rules removed " << took.count() << " ms after the daemon started";
  ASSERT_TRUE(wait_for_path(socket_path(), std::chrono::seconds(10)));
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 0u);
}

}  // namespace
}  // namespace injector::testing
