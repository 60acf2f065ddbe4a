#pragma once
// The nf_tables messages our rules are made of, appended to a Batch. Each
// builder makes libnftnl objects (owned, freed on every path) and serialises
// them; nothing here talks to the kernel.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/fault_spec.h"
#include "daemon/nft/nft_socket.h"
#include "daemon/nft/rule_plan.h"

namespace injector::nft {

std::uint16_t nfproto(Family f);     // NFPROTO_IPV4 / NFPROTO_IPV6
const char* family_name(Family f);   // "ip" / "ip6", as nft spells them
const char* chain_name(Direction side);  // "egress" / "ingress"

// Our table, marked with kOwnerMark; NLM_F_EXCL, so a table someone made
// since we looked fails the batch (EEXIST) instead of being adopted.
void add_table(Batch& b, Family f);
void delete_table(Batch& b, Family f);

// The base chain for one side: filter hook postrouting (egress) or
// prerouting (ingress), policy accept. In the ip6 table it starts with the
// neighbour-discovery exemption rule.
void add_base_chain(Batch& b, Family f, Direction side);

// An interval set of addresses (NEWSET), then its elements in messages of at
// most kElementsPerMessage (NEWSETELEM): one netlink attribute nest holds at
// most 64 KiB, so 10,000 networks cannot travel in one.
inline constexpr std::size_t kElementsPerMessage = 1024;
void add_address_set(Batch& b, Family f, const std::string& name, std::uint32_t set_id,
                     const std::vector<SetElement>& elements);
void delete_set(Batch& b, Family f, const std::string& name);

struct SetRef {
  std::string name;
  std::uint32_t id = 0;  // the NEWSET's id in this batch (the set is not committed yet)
};

struct QueueRuleSpec {
  Family family = Family::v4;
  Direction side = Direction::egress;
  std::string device;
  std::uint32_t skip_mark = 0;
  std::uint16_t queue = 0;
  std::optional<SetRef> daddr, saddr;
  std::optional<std::uint8_t> l4proto;
  std::optional<PortRange> dport, sport;
};
// [iif/oifname] [mark != skip] [l4proto] [th dport] [th sport] [daddr @set]
// [saddr @set] counter, xt NFQUEUE (queue, bypass); comment rule_comment().
void add_queue_rule(Batch& b, const QueueRuleSpec& spec);
// The fault's tests as in add_queue_rule, then the exclusion's ([l4proto]
// [th dport/sport] [daddr/saddr prefix]), counter, accept; comment
// exclusion_comment(). Appended before the fault's queue rule.
void add_exclusion_rule(Batch& b, const QueueRuleSpec& spec, const ExclusionTest& test);
void delete_rule(Batch& b, Family f, const std::string& chain, std::uint64_t handle);

}  // namespace injector::nft
