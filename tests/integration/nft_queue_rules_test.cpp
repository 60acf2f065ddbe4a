// The nf_tables queue rules against the real kernel, in namespaces of our own:
// what `nft list ruleset` shows, which packets a rule really queues (a raw
// NFQUEUE listener sees them), bypass with no listener, ND under an IPv6
// rule, foreign tables, removal, and how fast 10,000 networks apply.
#include "daemon/nft/queue_rules.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>

#include "support/in_netns.h"
#include "integration/nfq_listener.h"
#include "support/negative_check.h"
#include "support/netns.h"
#include "support/probes.h"

namespace {

using namespace std::chrono_literals;
using injector::Cidr;
using injector::Direction;
using injector::Match;
using injector::PortRange;
using injector::Protocol;
using injector::nft::QueueRule;
using injector::testing::NfqListener;
using injector::testing::ThreeSiteLab;
namespace nft = injector::nft;
namespace t = injector::testing;

using injector::testing::in_netns;

QueueRule rule_to(std::vector<std::string> to, std::uint16_t queue, Protocol proto = Protocol::any,
                  std::optional<PortRange> dport = {}, Direction side = Direction::egress) {
  QueueRule r;
  r.device = "eth0";
  r.side = side;
  for (const auto& c : to) r.match.to.push_back(Cidr::parse(c));
  r.match.protocol = proto;
  r.match.dport = dport;
  r.queue = queue;
  return r;
}

class NftQueueRules : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, nf_tables)";
  }
  const std::string& a() const { return lab_.ns('a'); }
  std::string ruleset() const { return t::run_checked({"ip", "netns", "exec", a(), "nft", "list", "ruleset"}); }
  void add(const QueueRule& r) const {
    in_netns(a(), [&] { nft::add_queue_rules(r); });
  }
  void remove(std::uint16_t q) const {
    in_netns(a(), [&] { nft::remove_queue_rules(q); });
  }
  bool ours() const {
    return in_netns(a(), [] { return nft::have_our_tables(); });
  }
  // Packets the rule counted (the rule's own counter in `nft list ruleset`).
  long counted(std::uint16_t queue) const {
    const std::regex re("counter packets ([0-9]+) bytes [0-9]+ queue num " + std::to_string(queue) + " bypass");
    const std::string text = ruleset();
    long total = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
      total += std::stol((*it)[1]);
    }
    return total;
  }

  ThreeSiteLab lab_;
};

TEST_F(NftQueueRules, ListsMarkedTableWithNfqueueRuleAndRemovalLeavesNothing) {
  add(rule_to({ThreeSiteLab::v4_net('b')}, 11, Protocol::tcp, PortRange{5001, 5003}));
  const std::string text = ruleset();
  EXPECT_NE(text.find("table ip injectord"), std::string::npos) << text;
  EXPECT_NE(text.find("comment \"owner=injectord\""), std::string::npos) << text;
  EXPECT_NE(text.find("type filter hook postrouting priority"), std::string::npos) << text;
  EXPECT_NE(text.find("set q11_egress_daddr"), std::string::npos) << text;
  EXPECT_NE(text.find("10.231.2.0/24"), std::string::npos) << text;
  EXPECT_NE(text.find("oifname \"eth0\""), std::string::npos) << text;
  EXPECT_NE(text.find("dport 5001-5003"), std::string::npos) << text;
  // nft shows the xt NFQUEUE target (rev 3, bypass) in its own words.
  EXPECT_NE(text.find("queue num 11 bypass"), std::string::npos) << text;
  EXPECT_NE(text.find("comment \"injectord queue=11 egress\""), std::string::npos) << text;
  EXPECT_EQ(text.find("table ip6 injectord"), std::string::npos) << "an IPv4-only fault must not touch IPv6:\n" << text;
  EXPECT_TRUE(ours());

  remove(11);
  EXPECT_EQ(ruleset(), "");
  EXPECT_FALSE(ours());
}

TEST_F(NftQueueRules, WithoutListenerTrafficFlowsThroughTheRule) {
  add(rule_to({ThreeSiteLab::v4_net('b'), ThreeSiteLab::v6_net('b')}, 12));
  EXPECT_EQ(t::ping_received(a(), ThreeSiteLab::v4('b'), 5), 5);
  EXPECT_EQ(t::ping_received(a(), ThreeSiteLab::v6('b'), 5), 5);
  EXPECT_TRUE(t::tcp_connects(a(), lab_.ns('b'), ThreeSiteLab::v4('b')));
  EXPECT_TRUE(t::tcp_connects(a(), lab_.ns('b'), ThreeSiteLab::v6('b')));
  // The packets did hit the rules (both families), so it is bypass that let them pass.
  EXPECT_GE(counted(12), 5 + 5 + 2);
  remove(12);
}

TEST_F(NftQueueRules, ListenerGetsTargetPortAndAddressOnly) {
  add(rule_to({ThreeSiteLab::v4_net('b')}, 13, Protocol::tcp, PortRange{5001, 5001}));
  NfqListener listener(a(), 13, NfqListener::Verdict::drop);
  // Port 5002 on the same peer is the control.
  EXPECT_TRUE(t::nothing_delivered([&] { return t::tcp_connects(a(), lab_.ns('b'), ThreeSiteLab::v4('b'), 600ms, 5001); },
                                   [&] { return t::tcp_connects(a(), lab_.ns('b'), ThreeSiteLab::v4('b'), 1000ms, 5002); }, 1));
  EXPECT_GE(listener.count_to(ThreeSiteLab::v4('b'), 5001), 1u);
  EXPECT_TRUE(t::tcp_connects(a(), lab_.ns('c'), ThreeSiteLab::v4('c'), 1000ms, 5001));
  EXPECT_EQ(t::ping_received(a(), ThreeSiteLab::v4('b'), 3), 3);  // not tcp: not queued
  EXPECT_EQ(listener.count_to(ThreeSiteLab::v4('b'), 5002), 0u);
  EXPECT_EQ(listener.count_to(ThreeSiteLab::v4('c')), 0u);
  EXPECT_EQ(listener.packets().size(), listener.count_to(ThreeSiteLab::v4('b'), 5001));
  remove(13);
}

TEST_F(NftQueueRules, PacketsCarryingTheSkipMarkAreNotQueued) {
  // Another table marks TCP to port 5002 on output (before our postrouting chain).
  const std::vector<std::string> nft{"ip", "netns", "exec", a(), "nft"};
  auto run_nft = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = nft;
    argv.insert(argv.end(), args.begin(), args.end());
    t::run_checked(argv);
  };
  run_nft({"add", "table", "ip", "marker"});
  run_nft({"add", "chain", "ip", "marker", "out", "{ type filter hook output priority 0; }"});
  run_nft({"add", "rule", "ip", "marker", "out", "tcp", "dport", "5002", "meta", "mark", "set", "0x77"});
  QueueRule r = rule_to({ThreeSiteLab::v4_net('b')}, 18, Protocol::tcp);
  r.skip_mark = 0x77;
  add(r);
  NfqListener listener(a(), 18, NfqListener::Verdict::drop);
  EXPECT_TRUE(t::nothing_delivered([&] { return t::tcp_connects(a(), lab_.ns('b'), ThreeSiteLab::v4('b'), 600ms, 5001); },
                                   [&] { return t::tcp_connects(a(), lab_.ns('b'), ThreeSiteLab::v4('b'), 1000ms, 5002); }, 1));
  EXPECT_GE(listener.count_to(ThreeSiteLab::v4('b'), 5001), 1u);
  EXPECT_EQ(listener.count_to(ThreeSiteLab::v4('b'), 5002), 0u);
  remove(18);
  run_nft({"delete", "table", "ip", "marker"});
  EXPECT_EQ(ruleset(), "");
}

TEST_F(NftQueueRules, IngressRuleQueuesWhatArrivesFromTheRemoteSide) {
  // to = b: on ingress that is the packets' source (b's answers).
  add(rule_to({ThreeSiteLab::v4_net('b')}, 14, Protocol::any, {}, Direction::ingress));
  NfqListener listener(a(), 14, NfqListener::Verdict::drop);
  EXPECT_TRUE(t::nothing_delivered([&] { return t::ping_received(a(), ThreeSiteLab::v4('b'), 3); },
                                   [&] { return t::ping_received(a(), ThreeSiteLab::v4('c'), 3); }, 3));
  std::size_t from_b = 0;
  for (const auto& p : listener.packets()) from_b += p.src == ThreeSiteLab::v4('b') && p.dst == ThreeSiteLab::v4('a');
  EXPECT_GE(from_b, 3u);
  EXPECT_EQ(from_b, listener.packets().size());
  EXPECT_NE(ruleset().find("type filter hook prerouting priority"), std::string::npos);
  remove(14);
  EXPECT_EQ(ruleset(), "");
}

TEST_F(NftQueueRules, Ipv6RuleQueuesTargetButNeighbourDiscoveryStillResolves) {
  // Every ICMPv6 packet both ways goes to a listener that drops it: only the
  // ND exemption lets neighbour solicitations out and advertisements in.
  // Every ICMPv6 echo is queued too, so its control is the same ping before.
  const int pings_before = t::ping_received(a(), ThreeSiteLab::v6('b'), 3);
  add(rule_to({"::/0"}, 15, Protocol::icmp, {}, Direction::egress));
  add(rule_to({"::/0"}, 15, Protocol::icmp, {}, Direction::ingress));
  NfqListener listener(a(), 15, NfqListener::Verdict::drop);
  t::run_checked({"ip", "-n", a(), "-6", "neigh", "flush", "dev", "eth0"});
  t::run_checked({"ip", "-n", lab_.ns('r'), "-6", "neigh", "flush", "all"});
  // TCP is not ICMP, so it is not queued, but its first packet needs the
  // router's address resolved (postrouting runs before resolution, so a
  // queued echo request alone would never trigger ND).
  EXPECT_TRUE(t::tcp_connects(a(), lab_.ns('b'), ThreeSiteLab::v6('b')));
  const std::string neigh = t::run_checked({"ip", "-n", a(), "-6", "neigh", "show", "dev", "eth0"});
  EXPECT_TRUE(std::regex_search(neigh, std::regex("fd31:1::1 lladdr [0-9a-f:]+ (router )?(REACHABLE|STALE|DELAY|PROBE)")))
      << neigh;
  // The IPv6 target itself is queued (and dropped): echo requests to b.
  EXPECT_TRUE(t::nothing_delivered_after_control(pings_before, 3,
                                                 [&] { return t::ping_received(a(), ThreeSiteLab::v6('b'), 3); }));
  std::size_t echo = 0;
  for (const auto& p : listener.packets()) {
    EXPECT_FALSE(p.icmp_type >= 133 && p.icmp_type <= 137) << "ND type " << p.icmp_type << " was queued";
    echo += p.icmp_type == 128 && p.dst == ThreeSiteLab::v6('b');
  }
  EXPECT_GE(echo, 3u);
  remove(15);
  EXPECT_EQ(ruleset(), "");
}

TEST_F(NftQueueRules, ForeignTableIsRefusedAndLeftIntact) {
  t::run_checked({"ip", "netns", "exec", a(), "nft", "add", "table", "ip", "injectord"});
  t::run_checked({"ip", "netns", "exec", a(), "nft", "add", "chain", "ip", "injectord", "theirs"});
  const std::string before = ruleset();
  EXPECT_THROW(add(rule_to({ThreeSiteLab::v4_net('b')}, 16)), nft::ForeignTableError);
  EXPECT_FALSE(ours());
  in_netns(a(), [] { nft::remove_our_tables(); });
  remove(16);
  EXPECT_EQ(ruleset(), before);
  // An IPv6-only fault does not touch the IPv4 table, so it is not refused.
  add(rule_to({ThreeSiteLab::v6_net('b')}, 17));
  EXPECT_NE(ruleset().find("table ip6 injectord"), std::string::npos);
  in_netns(a(), [] { nft::remove_our_tables(); });
  EXPECT_EQ(ruleset(), before);
}

TEST_F(NftQueueRules, RemovingOneQueueKeepsTheOthers) {
  add(rule_to({ThreeSiteLab::v4_net('b')}, 21));
  add(rule_to({ThreeSiteLab::v4_net('c')}, 22));
  EXPECT_THROW(add(rule_to({ThreeSiteLab::v4_net('c')}, 22)), std::runtime_error);  // already there
  remove(21);
  const std::string text = ruleset();
  EXPECT_EQ(text.find("queue num 21"), std::string::npos) << text;
  EXPECT_EQ(text.find("q21_"), std::string::npos) << text;
  EXPECT_NE(text.find("queue num 22 bypass"), std::string::npos) << text;
  EXPECT_NE(text.find("q22_egress_daddr"), std::string::npos) << text;
  remove(22);
  EXPECT_EQ(ruleset(), "");
}

}  // namespace
