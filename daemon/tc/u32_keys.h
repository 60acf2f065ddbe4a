#pragma once
// Turns a fault's match into u32 selectors: pure arithmetic, no kernel, so it
// is unit-tested byte by byte. Offsets are from the start of the IP header;
// values and masks are in network byte order, as u32 compares them against
// the packet.

#include <cstdint>
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
// (destination, source) pair of the same family.
struct U32Rule {
  Family family = Family::v4;
  std::vector<U32Key> keys;
};

std::vector<U32Key> cidr_keys(const Cidr& cidr, bool destination);
std::vector<U32Key> protocol_keys(Protocol proto, Family family);

// Cross product of match.to x match.from per family, each with the protocol
// keys. Throws FieldError("match", ...) when the lists cannot match anything
// (no common family) or the product exceeds kMaxRules.
inline constexpr std::size_t kMaxRules = 65'536;
std::vector<U32Rule> rules_for_match(const Match& match);

// IPv6 neighbour discovery (ICMPv6 types 133-137) as u32 rules, so it can be
// steered past every fault: a cut must never break address resolution.
std::vector<U32Rule> neighbour_discovery_rules();

}  // namespace injector::tc
