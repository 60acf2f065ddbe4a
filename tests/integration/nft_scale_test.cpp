// nf_tables queue rules at scale and as transactions: 10,000 networks in one
// set (timed, and still matching the right packets), a batch the kernel
// refuses leaves nothing behind, and a batch built from a stale view of the
// ruleset is refused whole.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "daemon/nft/nft_messages.h"
#include "daemon/nft/nft_socket.h"
#include "daemon/nft/queue_rules.h"
#include "support/in_netns.h"
#include "integration/nfq_listener.h"
#include "support/negative_check.h"
#include "support/netns.h"
#include "support/probes.h"
#include "support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using injector::Cidr;
using injector::Direction;
using injector::Family;
using injector::nft::QueueRule;
using injector::testing::in_netns;
using injector::testing::NfqListener;
using injector::testing::ThreeSiteLab;
namespace nft = injector::nft;
namespace t = injector::testing;

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

// 9,999 disjoint networks that are not the lab's, plus the target network:
// 10,000 CIDRs, none adjacent (adjacent ones would merge into fewer intervals).
std::vector<Cidr> many_networks(Family f, const std::string& target) {
  std::vector<Cidr> out;
  char text[64];
  for (int i = 0; i < 9'999; ++i) {
    if (f == Family::v4) {
      std::snprintf(text, sizeof text, "10.%d.%d.0/24", i / 128, 2 * (i % 128));
    } else {
      std::snprintf(text, sizeof text, "fd77:%x::/64", 2 * i);
    }
    out.push_back(Cidr::parse(text));
  }
  out.push_back(Cidr::parse(target));
  return out;
}

class NftScale : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, nf_tables)";
  }
  const std::string& a() const { return lab_.ns('a'); }
  std::string ruleset() const { return t::run_checked({"ip", "netns", "exec", a(), "nft", "list", "ruleset"}); }

  // add and remove times in ms for one rule with `to` = networks, checked with real traffic.
  std::pair<double, double> apply_and_check(Family f, std::uint16_t queue) {
    QueueRule r;
    r.device = "eth0";
    r.queue = queue;
    r.match.to = many_networks(f, f == Family::v4 ? ThreeSiteLab::v4_net('b') : ThreeSiteLab::v6_net('b'));
    const double add_ms = in_netns(a(), [&] {
      const auto start = Clock::now();
      nft::add_queue_rules(r);
      return ms_since(start);
    });
    {
      NfqListener listener(a(), queue, NfqListener::Verdict::drop);
      const std::string b = f == Family::v4 ? ThreeSiteLab::v4('b') : ThreeSiteLab::v6('b');
      const std::string c = f == Family::v4 ? ThreeSiteLab::v4('c') : ThreeSiteLab::v6('c');
      // c, outside the 10,000, is the control: it must connect.
      EXPECT_TRUE(t::nothing_delivered([&] { return t::tcp_connects(a(), lab_.ns('b'), b, 500ms); },
                                       [&] { return t::tcp_connects(a(), lab_.ns('c'), c); }, 1))
          << "target inside the 10,000 was not queued, or address outside it was";
      EXPECT_GE(listener.count_to(b), 1u);
      EXPECT_EQ(listener.count_to(c), 0u);
    }
    const double remove_ms = in_netns(a(), [&] {
      const auto start = Clock::now();
      nft::remove_queue_rules(queue);
      return ms_since(start);
    });
    EXPECT_EQ(ruleset(), "");
    return {add_ms, remove_ms};
  }

  ThreeSiteLab lab_;
};

// A loose bound, with room for a loaded machine (100 ms was crossed once under
// load: 104 ms): it catches an implementation an order of magnitude slower
// than today's 25-40 ms quiet. How fast it is, is measured by bench/
// (injector_bench: a 10,000-target fault through the API), not here.
TEST_F(NftScale, TenThousandNetworksApplyInOneBatch) {
  for (Family f : {Family::v4, Family::v6}) {
    const auto [add_ms, remove_ms] = apply_and_check(f, f == Family::v4 ? 31 : 32);
    std::printf("[ figure ] 10,000 %s CIDRs: add_queue_rules %.1f ms, remove_queue_rules %.1f ms\n",
                f == Family::v4 ? "IPv4" : "IPv6", add_ms, remove_ms);
    EXPECT_LT(add_ms, 400.0);
    EXPECT_LT(remove_ms, 400.0);
  }
  // For scale: the same IPv4 set loaded by the nft tool from a file (one process).
  t::TempDir dir("nftscale");
  std::ofstream file(dir.file("set.nft"));
  file << "table ip nftcli {\n set s {\n  type ipv4_addr; flags interval\n  elements = { ";
  for (const Cidr& c : many_networks(Family::v4, ThreeSiteLab::v4_net('b'))) file << c.to_string() << ", ";
  file << "}\n }\n}\n";
  file.close();
  const auto start = Clock::now();
  t::run_checked({"ip", "netns", "exec", a(), "nft", "-f", dir.file("set.nft")});
  std::printf("[ figure ] the same 10,000 IPv4 CIDRs as a set by `nft -f` (process included): %.1f ms\n", ms_since(start));
  t::run_checked({"ip", "netns", "exec", a(), "nft", "delete", "table", "ip", "nftcli"});
}

TEST_F(NftScale, RefusedBatchLeavesNothingAndNamesTheMessage) {
  const auto err = in_netns(a(), [] {
    nft::Socket sock;
    nft::Batch batch(sock.next_seq(), sock.generation());
    nft::add_table(batch, Family::v4);
    nft::add_base_chain(batch, Family::v4, Direction::egress);
    // A rule for a set that does not exist: the kernel refuses this message,
    // so the table and chain before it must not stay either.
    nft::QueueRuleSpec spec;
    spec.device = "eth0";
    spec.queue = 40;
    spec.daddr = nft::SetRef{"no_such_set", 999};
    nft::add_queue_rule(batch, spec);
    try {
      sock.commit(batch);
    } catch (const nft::NftError& e) {
      return std::make_pair(e.error(), std::string(e.what()));
    }
    return std::make_pair(0, std::string("committed"));
  });
  EXPECT_EQ(err.first, ENOENT) << err.second;
  EXPECT_NE(err.second.find("add rule for queue 40 to ip injectord egress"), std::string::npos) << err.second;
  EXPECT_EQ(ruleset(), "");
}

TEST_F(NftScale, BatchFromAStaleGenerationIsRefusedWhole) {
  const auto err = in_netns(a(), [this] {
    nft::Socket sock;
    const std::uint32_t gen = sock.generation();
    t::run_checked({"ip", "netns", "exec", a(), "nft", "add", "table", "ip", "bystander"});  // the ruleset moves on
    nft::Batch batch(sock.next_seq(), gen);
    nft::add_table(batch, Family::v4);
    try {
      sock.commit(batch);
    } catch (const nft::NftError& e) {
      return e.error();
    }
    return 0;
  });
  EXPECT_EQ(err, ERESTART);
  const std::string text = ruleset();
  EXPECT_EQ(text.find("injectord"), std::string::npos) << text;
  // The public entry point reads the generation afresh and succeeds.
  QueueRule r;
  r.device = "eth0";
  r.queue = 41;
  r.match.to.push_back(Cidr::parse(ThreeSiteLab::v4_net('b')));
  in_netns(a(), [&] { nft::add_queue_rules(r); });
  EXPECT_NE(ruleset().find("queue num 41 bypass"), std::string::npos);
  in_netns(a(), [] { nft::remove_our_tables(); });
  EXPECT_EQ(ruleset(), "table ip bystander {\n}\n");
}

}  // namespace
