#pragma once
// Turns a fault's match into what the nf_tables queue rules must test: which
// address families get a rule, the interval-set elements for each address
// list, the layer-4 protocol and port ranges. Pure arithmetic, no kernel, so
// it is unit-tested value by value; queue_rules.cpp only turns the plan into
// libnftnl messages.
//
// Semantics are the tc path's (daemon/tc/u32_keys.cpp): empty `to`/`from`
// lists are wildcards, but a list that names only IPv4 networks keeps the
// rule out of the IPv6 table (and vice versa); icmp means ICMP for IPv4 and
// ICMPv6 for IPv6.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/exclusion.h"
#include "common/fault_spec.h"

namespace injector::nft {

// One key of an nf_tables interval set, network byte order. Intervals are
// sent the way the kernel's rbtree set stores them: a start element, and an
// end element (flag NFT_SET_ELEM_INTERVAL_END) holding the first address
// *past* the interval. An interval that runs to the last address of the
// family has no end element (there is no address past it).
struct SetElement {
  std::vector<std::uint8_t> key;  // 4 (IPv4) or 16 (IPv6) bytes
  bool interval_end = false;
  friend bool operator==(const SetElement&, const SetElement&) = default;
};

// An inclusive address range, network byte order, `len` bytes used.
struct AddressRange {
  std::array<std::uint8_t, 16> first{};
  std::array<std::uint8_t, 16> last{};
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

// The CIDRs of `family` in `cidrs` as sorted, disjoint ranges: overlapping
// and adjacent networks are merged, because the kernel refuses overlapping
// intervals in one set (nft merges them in userspace too).
std::vector<AddressRange> merged_ranges(const std::vector<Cidr>& cidrs, Family family);

// The set elements for those ranges, ascending. Like nft, a leading end
// element at address zero is sent when the first range does not start
// there, so that addresses below the first range find an "end" and miss.
std::vector<SetElement> interval_elements(const std::vector<AddressRange>& ranges, Family family);

// What one family's rule tests, in this order in the rule.
struct FamilyRule {
  Family family = Family::v4;
  // Set elements for ip daddr / ip saddr; nullopt: any address of the family
  // (the list was empty, or its networks cover the whole family).
  std::optional<std::vector<SetElement>> daddr;
  std::optional<std::vector<SetElement>> saddr;
  std::optional<std::uint8_t> l4proto;  // IPPROTO_*; nullopt for protocol any
  std::optional<PortRange> dport;       // nullopt: no test (absent, or 0-65535)
  std::optional<PortRange> sport;
};

// The fault's match (`to`/`dport` name the remote side) as packets carry it
// on `side`: on ingress the remote side is the packet's source, so the lists
// and ports swap (the tc path's rule, tc::as_seen_on_ingress).
Match wire_match(const Match& fault_match, Direction side);

// The rules for a match as the packets carry it on the wire: destination is
// the packet's destination (see wire_match). Throws FieldError("match", ...) when no family
// can match, ports come without tcp/udp, or a port range is reversed.
std::vector<FamilyRule> plan_queue_rules(const Match& wire_match);

// A control-path exclusion as one fault's accept rule tests it on the wire:
// the fault's own tests (FamilyRule) and these, then accept, placed just
// before the fault's queue rule. Carrying the fault's tests keeps the
// exclusion per fault: it spares only packets this fault would queue, so a
// fault that opted out (and has no such rules) is untouched by it.
struct ExclusionTest {
  std::optional<std::uint8_t> l4proto;  // the fault's and the exclusion's, which agree
  std::optional<PortRange> dport, sport;
  std::optional<Cidr> daddr, saddr;     // of the rule's family; nullopt: any
  friend bool operator==(const ExclusionTest&, const ExclusionTest&) = default;
};

// The tests for `exclusions` on `side` that can meet `fault` (same family,
// compatible protocol); an exclusion that cannot overlap the fault is left out.
std::vector<ExclusionTest> plan_exclusion_tests(const std::vector<Exclusion>& exclusions, Direction side,
                                                const FamilyRule& fault);

// Names that tie kernel objects to a queue, so remove_queue_rules(queue) can
// find them again after a daemon restart without any state of its own.
// Set:  "q7_egress_daddr". Rule comment: "injectord queue=7 egress"; the
// fault's exclusion rules: "injectord queue=7 egress exclusion".
std::string set_name(std::uint16_t queue, Direction side, bool destination);
std::string rule_comment(std::uint16_t queue, Direction side);
std::string exclusion_comment(std::uint16_t queue, Direction side);
// The queue a rule comment names; nullopt for any other comment (ours or not).
std::optional<std::uint16_t> queue_of_rule_comment(std::string_view comment);
bool set_belongs_to_queue(std::string_view name, std::uint16_t queue);

// The comment our tables carry in their userdata: a table of our name
// without it was made by someone else.
inline constexpr std::string_view kOwnerMark = "owner=injectord";
// The comment of the per-chain rule that lets IPv6 neighbour discovery by.
inline constexpr std::string_view kNdExemptComment = "injectord nd-exempt";

}  // namespace injector::nft
