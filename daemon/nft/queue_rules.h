#pragma once
// The nf_tables side of the delay line: rules that send a fault's packets to
// its NFQUEUE, built with libnftnl and sent over netlink (never by running
// nft or iptables). The nft `queue` statement is missing on some kernels we
// run on, so the rule uses the xtables NFQUEUE target through nft's compat
// expression, with queue bypass: if no process listens on the queue, packets
// pass untouched (the daemon died: traffic flows, undelayed).
//
// Everything lives in tables of our own (name kTableName in the ip and ip6
// families, marked as ours in their userdata) that `nft list ruleset` shows.
// A table of that name that is not marked as ours is a conflict: refused,
// never touched.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

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
};

// Adds the rules (creating our tables and chains if missing) in one nf_tables
// transaction: all or nothing. Throws ForeignTableError, or std::runtime_error
// with the kernel's reason.
void add_queue_rules(const QueueRule& rule);
// Removes every rule (and set) that sends to `queue`; our tables go when empty.
void remove_queue_rules(std::uint16_t queue);
// True when a table of ours exists in this network namespace.
bool have_our_tables();
// Deletes our tables with all they hold (startup cleanup, `--cleanup`).
void remove_our_tables();

}  // namespace injector::nft
