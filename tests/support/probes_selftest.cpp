// The negative probes tell a broken probe from a cut: an error no fault on
// the path causes throws, and a real drop (the daemon's own mechanism, a
// blackhole qdisc behind an HTB class and a u32 filter) is "not delivered".
// Needs root.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/listener.h"
#include "support/negative_check.h"
#include "support/netns.h"
#include "support/probes.h"
#include "support/process.h"

namespace injector::testing {
namespace {

using std::chrono::milliseconds;

// "10.231.1.2" -> "10.231.1.255": a's own subnet broadcast.
std::string broadcast_of(const std::string& v4) { return v4.substr(0, v4.rfind('.')) + ".255"; }

class ProbesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces";
    lab_ = std::make_unique<ThreeSiteLab>();
  }
  const std::string& ns(char site) const { return lab_->ns(site); }
  std::unique_ptr<ThreeSiteLab> lab_;
};

TEST_F(ProbesTest, ABrokenProbeThrowsInsteadOfCountingAsNotDelivered) {
  // Sending to a broadcast address without SO_BROADCAST fails with EACCES: no cut does that.
  const std::string bcast = broadcast_of(ThreeSiteLab::v4('a'));
  EXPECT_THROW(udp_echo_delivered(ns('a'), ns('a'), bcast, 2, milliseconds(100)), std::runtime_error);
  EXPECT_THROW(udp_delivery_timeline(ns('a'), ns('a'), bcast, milliseconds(20), 2), std::runtime_error);
  EXPECT_THROW(ping_received(ns('a'), bcast, 1), std::runtime_error);
  EXPECT_THROW(ping_received(ns('a') + "-nosuch", ThreeSiteLab::v4('b'), 1), std::runtime_error);
  EXPECT_THROW(udp_echo_delivered(ns('a') + "-nosuch", ns('b'), ThreeSiteLab::v4('b'), 1), std::runtime_error);

  // A peer that answers the SYN with a reset refuses (ECONNREFUSED): a cut drops, it never refuses.
  lab_->exec('b', {"nft", "add", "table", "inet", "injt_reject"});
  lab_->exec('b', {"nft", "add", "chain", "inet", "injt_reject", "in", "{ type filter hook input priority 0; }"});
  lab_->exec('b', {"nft", "add", "rule", "inet", "injt_reject", "in", "tcp", "dport", "7777", "reject", "with",
                   "tcp", "reset"});
  EXPECT_THROW(tcp_connects(ns('a'), ns('b'), ThreeSiteLab::v4('b'), milliseconds(1000), 7777), std::runtime_error);
  EXPECT_TRUE(tcp_connects(ns('a'), ns('b'), ThreeSiteLab::v4('b'), milliseconds(1000), 7778)) << "only 7777 refuses";
}

TEST_F(ProbesTest, ABlackholeQdiscIsNotDeliveredBesideItsControl) {
  // What the daemon builds for a cut of b's IPv4 network out of a's eth0.
  for (const std::vector<std::string>& tc : std::vector<std::vector<std::string>>{
           {"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb"},
           {"tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:2", "htb", "rate", "1gbit"},
           {"tc", "qdisc", "add", "dev", "eth0", "parent", "1:2", "handle", "2:", "blackhole"},
           {"tc", "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "u32", "match", "ip", "dst",
            ThreeSiteLab::v4_net('b'), "flowid", "1:2"}}) {
    ASSERT_EQ(lab_->exec('a', tc).status, 0);
  }
  const std::string b = ThreeSiteLab::v4('b'), c = ThreeSiteLab::v4('c');
  EXPECT_TRUE(nothing_delivered([&] { return udp_echo_delivered(ns('a'), ns('b'), b, 5, milliseconds(100)); },
                                [&] { return udp_echo_delivered(ns('a'), ns('c'), c, 5); }, 5));
  EXPECT_TRUE(nothing_delivered([&] { return tcp_connects(ns('a'), ns('b'), b, milliseconds(300)); },
                                [&] { return tcp_connects(ns('a'), ns('c'), c); }, 1));
  EXPECT_TRUE(nothing_delivered([&] { return ping_received(ns('a'), b, 3); },
                                [&] { return ping_received(ns('a'), c, 3); }, 3));
  // And the helper itself: a control that delivers nothing fails the assertion,
  // as does a negative probe that delivers.
  EXPECT_FALSE(nothing_delivered([&] { return udp_echo_delivered(ns('a'), ns('b'), b, 2, milliseconds(100)); },
                                 [&] { return udp_echo_delivered(ns('a'), ns('b'), b, 2, milliseconds(100)); }, 2));
  EXPECT_FALSE(nothing_delivered([&] { return udp_echo_delivered(ns('a'), ns('c'), c, 2); },
                                 [&] { return udp_echo_delivered(ns('a'), ns('c'), c, 2); }, 2));
}

TEST_F(ProbesTest, WaitForListenerSeesAServerListenInItsNamespaceOnly) {
  EXPECT_FALSE(wait_for_listener(ns('b'), 5299, milliseconds(50)));
  ChildProcess server({"ip", "netns", "exec", ns('b'), "iperf3", "-s", "-1", "-p", "5299"},
                      "/tmp/injt-listener-" + std::to_string(getpid()) + ".log");
  ASSERT_TRUE(wait_for_listener(ns('b'), 5299, std::chrono::seconds(10))) << server.log();
  EXPECT_FALSE(wait_for_listener(ns('c'), 5299, milliseconds(50))) << "another namespace's sockets are not ours";
  std::remove(("/tmp/injt-listener-" + std::to_string(getpid()) + ".log").c_str());
}

}  // namespace
}  // namespace injector::testing
