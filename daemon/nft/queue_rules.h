#pragma once
// The nf_tables side of the delay line: rules that send a fault's packets to
// its NFQUEUE, built with libnftnl and sent over netlink (never by running
// nft or iptables). The nft `queue` statement is missing on some kernels we
// run on, so the rule uses the xtables NFQUEUE target through nft's compat
// expression, with queue bypass: if no process listens on the queue, packets
// pass untouched (the daemon died: traffic flows, undelayed).
//
// Everything lives in tables of our own (name kTableName in the ip and ip6
// families, marked as ours by the comment "owner=injectord" in their
// userdata) that `nft list ruleset` shows. A table of that name that is not
// marked as ours is a conflict: refused, never touched. Only the families a
// fault needs are created: an IPv4-only fault never makes (or checks) the ip6
// table.
//
// Layout, per family table:
//   chain egress  { type filter hook postrouting priority 150; }   (after SNAT)
//   chain ingress { type filter hook prerouting priority -150; }   (after conntrack, before DNAT)
//   ip6 chains start with `icmpv6 type 133-137 accept` (neighbour discovery is never queued)
//   set q<queue>_<side>_daddr / _saddr: interval set of the fault's networks
//   rule: [oif/iifname] [mark != skip_mark] [l4proto] [th dport/sport]
//         [daddr/saddr @set] counter, xt NFQUEUE num <queue> bypass,
//         comment "injectord queue=<queue> <side>"
//   before it, per control-path exclusion the fault spares: the same tests
//         plus the exclusion's, counter, accept, comment "... <side> exclusion"
// The names and comments are the only record: remove_queue_rules finds its
// objects again after a daemon restart.
//
// Every call is one nf_tables transaction carrying the ruleset generation it
// was built from; if the ruleset changed meanwhile the kernel refuses it
// whole and the call reads again and retries (a few times). Calls act in the
// calling thread's network namespace and keep no state, so they are safe to
// call from any thread.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/exclusion.h"
#include "common/fault_spec.h"

namespace injector::nft {

inline constexpr const char* kTableName = "injectord";

// A table of our name that another tool made: refuse (HTTP 409), touch nothing.
class ForeignTableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct QueueRule {
  std::string device;         // egress: packets leaving it; ingress: arriving on it
  Direction side = Direction::egress;  // egress or ingress (not both: one rule set per side)
  // The fault's match as the user wrote it: `to`/`dport` name the remote side.
  // On ingress the rule tests them against the packet's source (as the tc
  // path does), so pass spec.match unchanged for either side.
  Match match;                // CIDRs (v4 and/or v6; 10,000 must fit: use sets), protocol, ports
  std::uint16_t queue = 0;    // NFQUEUE number
  std::uint32_t skip_mark = 0;  // packets carrying this fwmark are not queued (0: none)
  // Control-path exclusions this fault spares: accept rules ahead of its queue
  // rule (see ExclusionTest in rule_plan.h).
  std::vector<Exclusion> exclusions;
};

// Adds the rules (creating our tables and chains if missing) in one nf_tables
// transaction: all or nothing. Throws ForeignTableError, std::invalid_argument
// (FieldError for the match) for bad input, or std::runtime_error with the
// kernel's reason (rules for this queue and side already present: EEXIST).
void add_queue_rules(const QueueRule& rule);
// Removes every rule (and set) that sends to `queue`; our tables go when empty.
void remove_queue_rules(std::uint16_t queue);
// True when a table of ours exists in this network namespace.
bool have_our_tables();
// Deletes our tables with all they hold (startup cleanup, `--cleanup`).
void remove_our_tables();

}  // namespace injector::nft
