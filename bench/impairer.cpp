#include "impairer.h"

#include <linux/pkt_sched.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "daemon/delayline/delay_line.h"
#include "daemon/netlink/batch.h"
#include "daemon/netlink/nl_socket.h"
#include "daemon/nft/queue_rules.h"
#include "daemon/tc/leaf.h"
#include "daemon/tc/netem.h"
#include "udp_load.h"

namespace injector::bench {
namespace {

using namespace std::chrono_literals;
constexpr std::uint16_t kQueue = 3;
constexpr std::uint32_t kNetemHandle = 0x0b5e0000;  // b5e: (not one of the daemon's fa17:/f0xx:/e0xx:)
constexpr auto kDelay = 50ms;

nft::QueueRule queue_rule() {
  Match m;
  m.to.push_back(Cidr::parse(testing::ThreeSiteLab::v4('b')));
  m.protocol = Protocol::udp;
  return {"eth0", Direction::egress, m, kQueue, 0, {}};
}

void add_netem() {
  nl::Socket sock;
  nl::Batch batch(sock);
  tc::NetemParams p;
  p.delay = kDelay;
  p.limit = 100'000;
  tc::add_netem_qdisc(batch, nl::ifindex_of("eth0"), TC_H_ROOT, kNetemHandle, p, tc::LeafOp::create);
  batch.commit();
}

void delete_netem() {
  nl::Socket sock;
  tc::delete_qdisc(sock, nl::ifindex_of("eth0"), TC_H_ROOT, kNetemHandle);
}

}  // namespace

const char* name(Kind k) {
  switch (k) {
    case Kind::none: return "none";
    case Kind::delayline: return "delayline";
    case Kind::netem: return "netem";
  }
  return "?";
}

Impairer::Impairer(const testing::ThreeSiteLab& lab) : lab_(lab) {}

Impairer::~Impairer() {
  try {
    remove();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "delayline_bench: cleanup: %s\n", e.what());
  }
  line_.reset();
}

// Netlink sockets and nf_tables calls act in the calling thread's namespace.
template <class F>
void Impairer::in_site_a(F fn) const {
  std::packaged_task<void()> task([&] {
    enter_netns(lab_.ns('a'));
    fn();
  });
  auto done = task.get_future();
  std::thread(std::move(task)).join();
  done.get();
}

void Impairer::install(Kind k) {
  remove();
  if (k == Kind::delayline) {
    // Made on a thread inside a and pinned to CPU 1: the delay-line thread inherits both.
    if (!line_) {
      in_site_a([&] {
        pin_to_cpu(1);
        line_ = std::make_unique<delayline::DelayLine>();
      });
    }
    Impairments imp;
    imp.delay = DelayImpairment{kDelay, 0us, 0, Distribution::none};
    line_->add(kQueue, imp, delayline::QueueOptions{200'000, 64u << 20, 0});
    installed_ = Kind::delayline;  // set before the rule: remove() then also unbinds if the rule fails
    in_site_a([] { nft::add_queue_rules(queue_rule()); });
  } else if (k == Kind::netem) {
    in_site_a(add_netem);
    installed_ = Kind::netem;
  }
}

void Impairer::remove() {
  const Kind k = installed_;
  installed_ = Kind::none;
  if (k == Kind::delayline) {
    in_site_a([] { nft::remove_queue_rules(kQueue); });
    line_->remove(kQueue);
  } else if (k == Kind::netem) {
    in_site_a(delete_netem);
  }
}

std::string Impairer::netem_unavailable() {
  try {
    install(Kind::netem);
    remove();
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::uint64_t Impairer::overruns() const { return line_ ? line_->receive_overruns() : 0; }

delayline::Lateness Impairer::lateness() const { return line_ ? line_->release_lateness() : delayline::Lateness{}; }

}  // namespace injector::bench
