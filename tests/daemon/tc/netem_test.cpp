// The netem options block is built in an anonymous namespace and handed
// straight to an nl::Batch, which keeps its messages private: its bytes are
// not reachable without a kernel. What is reachable: the qdisc message header
// (new_qdisc_message), the distribution tables, and that every leaf builds
// into a batch without overflowing its buffer (nothing is sent).
#include "daemon/tc/netem.h"

#include <gtest/gtest.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "daemon/netlink/batch.h"
#include "daemon/netlink/nl_socket.h"
#include "daemon/tc/leaf.h"

namespace {

using injector::Distribution;
using injector::GilbertElliott;
using injector::tc::LeafKind;
using injector::tc::LeafOp;
using injector::tc::NetemParams;
using injector::tc::SlotPlan;
using namespace std::chrono_literals;

TEST(NetemMessage, QdiscHeaderKindAndFlagsPerOp) {
  struct Case {
    LeafOp op;
    int flags;
  };
  for (const Case& c : {Case{LeafOp::create, NLM_F_CREATE | NLM_F_EXCL}, Case{LeafOp::change, 0},
                        Case{LeafOp::replace, NLM_F_CREATE | NLM_F_REPLACE}}) {
    auto msg = injector::tc::new_qdisc_message(7, 0xfa170101, 0xf0010000, "netem", c.op);
    nlmsghdr* h = nlmsg_hdr(msg.get());
    EXPECT_EQ(h->nlmsg_type, RTM_NEWQDISC);
    EXPECT_EQ(h->nlmsg_flags, c.flags) << static_cast<int>(c.op);
    const auto* tcm = static_cast<const tcmsg*>(nlmsg_data(h));
    EXPECT_EQ(tcm->tcm_ifindex, 7);
    EXPECT_EQ(tcm->tcm_parent, 0xfa170101u);
    EXPECT_EQ(tcm->tcm_handle, 0xf0010000u);
    nlattr* kind = nlmsg_find_attr(h, sizeof(tcmsg), TCA_KIND);
    ASSERT_NE(kind, nullptr);
    EXPECT_STREQ(static_cast<const char*>(nla_data(kind)), "netem");
  }
}

TEST(NetemMessage, DistributionTablesFitNetemsLimit) {
  for (Distribution d : {Distribution::normal, Distribution::pareto, Distribution::paretonormal}) {
    const auto table = injector::tc::load_distribution(d);
    EXPECT_FALSE(table.empty()) << injector::to_string(d);
    EXPECT_LE(table.size(), 65536u) << injector::to_string(d);  // the kernel's NETEM_DIST_MAX
  }
}

// A NETLINK_ROUTE socket needs no privilege; some sandboxes have none at all.
std::optional<injector::nl::Socket> route_socket() {
  try {
    return injector::nl::Socket();
  } catch (const injector::nl::NetlinkError&) {
    return std::nullopt;
  }
}

TEST(NetemMessage, EveryLeafBuildsIntoABatch) {
  auto sock = route_socket();
  if (!sock) GTEST_SKIP() << "no netlink socket here";
  NetemParams full;
  full.delay = 30ms;
  full.jitter = 5ms;
  full.delay_corr = injector::tc::probability(25);
  full.distribution = Distribution::paretonormal;  // the 8 KiB table rides in the same message
  full.gilbert_elliott = GilbertElliott{1, 10, 70, 0.1};
  full.duplicate = injector::tc::probability(1);
  full.corrupt = injector::tc::probability(1);
  full.reorder = injector::tc::probability(25);
  full.gap = 5;
  injector::nl::Batch batch(*sock);  // never committed: destroyed with its messages
  for (LeafOp op : {LeafOp::create, LeafOp::change, LeafOp::replace}) {
    EXPECT_NO_THROW(injector::tc::add_netem_qdisc(batch, 7, 0xfa170101, 0xf0010000, full, op));
    EXPECT_NO_THROW(injector::tc::add_netem_qdisc(batch, 7, 0xfa170101, 0xf0010000, NetemParams{}, op));
  }
  SlotPlan blackhole;
  blackhole.leaf = LeafKind::blackhole;
  EXPECT_NO_THROW(injector::tc::add_leaf(batch, 7, 0xfa170101, 0xe0010000, blackhole, LeafOp::replace));
  EXPECT_NO_THROW(injector::tc::add_leaf(batch, 7, 0xfa170101, 0xf0010000, SlotPlan{}, LeafOp::create));
  EXPECT_EQ(batch.size(), 8u);
}

}  // namespace
