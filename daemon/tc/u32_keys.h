#pragma once
// Turns a fault's match into u32 selectors: pure arithmetic, no kernel, so it
// is unit-tested byte by byte. Offsets are from the start of the IP header;
// values and masks are in network byte order, as u32 compares them against
// the packet.

#include <cstdint>
#include <utility>
#include <vector>

#include "common/fault_spec.h"

namespace injector::tc {

struct U32Key {
  std::uint32_t value = 0;  // network byte order
  std::uint32_t mask = 0;   // network byte order
  int offset = 0;           // bytes from the IP header, multiple of 4
  friend bool operator==(const U32Key&, const U32Key&) = default;
};

// One u32 filter: all keys must match (AND). A fault installs one rule per
// (destination, source, dport block, sport block) of the same family.
struct U32Rule {
  Family family = Family::v4;
  std::vector<U32Key> keys;
};

std::vector<U32Key> cidr_keys(const Cidr& cidr, bool destination);
std::vector<U32Key> protocol_keys(Protocol proto, Family family);

// The minimal set of (value, mask) prefix blocks, host byte order, that
// covers exactly [range.first, range.last], like splitting an address range
// into CIDRs: 443 -> {443, 0xffff}; 0-65535 -> {0, 0}. Empty if first > last.
std::vector<std::pair<std::uint16_t, std::uint16_t>> port_blocks(PortRange range);

// Keys matching one port block (value/mask in host order, as from
// port_blocks) at a fixed offset: the transport header is assumed to follow
// the fixed IP header directly. IPv4 therefore also requires IHL == 5 and
// fragment offset 0 (a non-first fragment carries no ports), so IPv4 packets
// with IP options are NOT matched by port rules. IPv6 packets with extension
// headers are not matched either (protocol_keys checks the first next-header).
std::vector<U32Key> port_keys(Family family, std::uint16_t value, std::uint16_t mask, bool destination);

// Cross product of match.to x match.from x dport blocks x sport blocks per
// family, each with the protocol keys (and port keys when ports are given).
// Throws FieldError("match", ...) when the lists cannot match anything
// (no common family), ports come without tcp/udp, or the product exceeds
// kMaxRules.
inline constexpr std::size_t kMaxRules = 65'536;
std::vector<U32Rule> rules_for_match(const Match& match);

// The match as packets arriving on the device carry it. A fault's `to` and
// `dport` name the remote side, `from` and `sport` the local one, so on
// ingress the remote side is the packet's source: swap them.
Match as_seen_on_ingress(const Match& match);

// IPv6 neighbour discovery (ICMPv6 types 133-137) as u32 rules, so it can be
// steered past every fault: a cut must never break address resolution.
std::vector<U32Rule> neighbour_discovery_rules();

}  // namespace injector::tc
