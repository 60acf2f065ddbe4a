#include "daemon/tc/u32_keys.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/field_error.h"

namespace injector::tc {
namespace {

constexpr int kV4Src = 12, kV4Dst = 16, kV4ProtoWord = 8;
constexpr int kV6Src = 8, kV6Dst = 24, kV6NextHdrWord = 4, kV6Payload = 40;
constexpr std::uint8_t kIcmpV6 = 58;

std::uint32_t prefix_mask(unsigned bits) { return bits == 0 ? 0 : htonl(~std::uint32_t{0} << (32 - bits)); }

std::uint8_t ip_protocol_number(Protocol p, Family f) {
  switch (p) {
    case Protocol::tcp: return 6;
    case Protocol::udp: return 17;
    case Protocol::icmp: return f == Family::v4 ? 1 : kIcmpV6;
    case Protocol::any: break;
  }
  return 0;
}

U32Key next_header_key(std::uint8_t proto) { return {htonl(std::uint32_t{proto} << 8), htonl(0x0000ff00u), kV6NextHdrWord}; }

}  // namespace

std::vector<U32Key> cidr_keys(const Cidr& cidr, bool destination) {
  const int base = cidr.family == Family::v4 ? (destination ? kV4Dst : kV4Src) : (destination ? kV6Dst : kV6Src);
  if (cidr.prefix_len == 0) return {U32Key{0, 0, base}};  // whole family: one always-true key
  std::vector<U32Key> keys;
  const unsigned words = static_cast<unsigned>(cidr.addr_len() / 4);
  for (unsigned w = 0; w < words; ++w) {
    const unsigned covered = w * 32;
    if (cidr.prefix_len <= covered) break;
    const unsigned bits = std::min(32u, cidr.prefix_len - covered);
    std::uint32_t value = 0;
    std::memcpy(&value, cidr.addr.data() + 4 * w, 4);
    const std::uint32_t mask = prefix_mask(bits);
    keys.push_back({value & mask, mask, base + static_cast<int>(4 * w)});
  }
  return keys;
}

std::vector<U32Key> protocol_keys(Protocol proto, Family family) {
  if (proto == Protocol::any) return {};
  const std::uint8_t number = ip_protocol_number(proto, family);
  if (family == Family::v4) return {{htonl(std::uint32_t{number} << 16), htonl(0x00ff0000u), kV4ProtoWord}};
  return {next_header_key(number)};
}

std::vector<U32Rule> rules_for_match(const Match& match) {
  std::vector<U32Rule> rules;
  for (Family fam : {Family::v4, Family::v6}) {
    std::vector<const Cidr*> to, from;
    for (const auto& c : match.to) if (c.family == fam) to.push_back(&c);
    for (const auto& c : match.from) if (c.family == fam) from.push_back(&c);
    // An empty list is a wildcard, but only if the user gave none of any family there.
    if ((to.empty() && !match.to.empty()) || (from.empty() && !match.from.empty())) continue;
    if (to.empty()) to.push_back(nullptr);
    if (from.empty()) from.push_back(nullptr);
    if (to.size() * from.size() + rules.size() > kMaxRules) {
      throw FieldError("match", "to x from gives more than " + std::to_string(kMaxRules) + " filter rules",
                       "fewer networks in match.to or match.from");
    }
    for (const Cidr* dst : to) {
      for (const Cidr* src : from) {
        U32Rule rule{fam, protocol_keys(match.protocol, fam)};
        if (dst) for (const auto& k : cidr_keys(*dst, true)) rule.keys.push_back(k);
        if (src) for (const auto& k : cidr_keys(*src, false)) rule.keys.push_back(k);
        rules.push_back(std::move(rule));
      }
    }
  }
  if (rules.empty()) {
    throw FieldError("match", "match.to and match.from share no address family, so nothing could match",
                     "IPv4 with IPv4, IPv6 with IPv6");
  }
  return rules;
}

std::vector<U32Rule> neighbour_discovery_rules() {
  std::vector<U32Rule> rules;
  for (std::uint32_t type = 133; type <= 137; ++type) {
    rules.push_back({Family::v6, {next_header_key(kIcmpV6), {htonl(type << 24), htonl(0xff000000u), kV6Payload}}});
  }
  return rules;
}

}  // namespace injector::tc
