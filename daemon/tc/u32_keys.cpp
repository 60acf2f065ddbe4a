#include "daemon/tc/u32_keys.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "common/field_error.h"

namespace injector::tc {
namespace {

constexpr int kV4Src = 12, kV4Dst = 16, kV4ProtoWord = 8;
constexpr int kV6Src = 8, kV6Dst = 24, kV6NextHdrWord = 4, kV6Payload = 40;
constexpr std::uint8_t kIcmpV6 = 58;
// Our u32 offsets are fixed (no nexthdr+ jumps), so ports are read where they
// sit behind a header without options / extension headers.
constexpr int kV4VersionWord = 0, kV4FragWord = 4, kV4Ports = 20, kV6Ports = kV6Payload;

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

// The first transport word in host order: source port high, destination low,
// so a dport block and an sport block combine into one key.
struct PortWord {
  std::uint32_t value = 0;
  std::uint32_t mask = 0;
};

std::vector<U32Key> port_word_keys(Family family, PortWord w) {
  if (family == Family::v6) return {{htonl(w.value), htonl(w.mask), kV6Ports}};
  return {
      // IHL == 5: with IP options the ports would not be at offset 20, so such packets are not matched.
      {htonl(0x05000000u), htonl(0x0f000000u), kV4VersionWord},
      // Fragment offset 0: a non-first fragment has payload, not ports, at offset 20.
      {0, htonl(0x00001fffu), kV4FragWord},
      {htonl(w.value), htonl(w.mask), kV4Ports},
  };
}

// Every dport block x sport block; empty when the match has no ports.
std::vector<PortWord> port_words(const Match& match) {
  if (!match.dport && !match.sport) return {};
  // Validation already ensures both; re-checked because a wrong rule here cuts the wrong traffic.
  if (match.protocol != Protocol::tcp && match.protocol != Protocol::udp) {
    throw FieldError("match", "ports given without a protocol that has ports", "protocol tcp or udp with ports");
  }
  constexpr PortRange kAll{0, 65535};
  const auto dports = port_blocks(match.dport.value_or(kAll));
  const auto sports = port_blocks(match.sport.value_or(kAll));
  if (dports.empty() || sports.empty()) throw FieldError("match", "port range ends before it starts", "first <= last");
  std::vector<PortWord> words;
  for (const auto& [dv, dm] : dports) {
    for (const auto& [sv, sm] : sports) {
      words.push_back({(std::uint32_t{sv} << 16) | dv, (std::uint32_t{sm} << 16) | dm});
    }
  }
  return words;
}

// Appends one family's rules, or nothing when the CIDR lists leave the family out.
void add_family_rules(const Match& match, Family fam, const std::vector<PortWord>& words,
                      std::vector<U32Rule>& rules) {
  std::vector<const Cidr*> to, from;
  for (const auto& c : match.to) if (c.family == fam) to.push_back(&c);
  for (const auto& c : match.from) if (c.family == fam) from.push_back(&c);
  // An empty list is a wildcard, but only if the user gave none of any family there.
  if ((to.empty() && !match.to.empty()) || (from.empty() && !match.from.empty())) return;
  if (to.empty()) to.push_back(nullptr);
  if (from.empty()) from.push_back(nullptr);
  const std::size_t per_pair = words.empty() ? 1 : words.size();
  if (to.size() * from.size() * per_pair + rules.size() > kMaxRules) {
    throw FieldError("match", "to x from x port blocks gives more than " + std::to_string(kMaxRules) + " filter rules",
                     "fewer networks in match.to or match.from, or port ranges that split into fewer blocks");
  }
  for (const Cidr* dst : to) {
    for (const Cidr* src : from) {
      U32Rule rule{fam, protocol_keys(match.protocol, fam)};
      if (dst) for (const auto& k : cidr_keys(*dst, true)) rule.keys.push_back(k);
      if (src) for (const auto& k : cidr_keys(*src, false)) rule.keys.push_back(k);
      if (words.empty()) {
        rules.push_back(std::move(rule));
        continue;
      }
      for (const PortWord& w : words) {
        U32Rule with_ports = rule;
        for (const auto& k : port_word_keys(fam, w)) with_ports.keys.push_back(k);
        rules.push_back(std::move(with_ports));
      }
    }
  }
}

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

std::vector<std::pair<std::uint16_t, std::uint16_t>> port_blocks(PortRange range) {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> blocks;
  // 32-bit arithmetic so that last == 65535 and the 0-65535 block size do not wrap.
  std::uint32_t lo = range.first;
  const std::uint32_t hi = range.last;
  while (lo <= hi) {
    // Largest power-of-two block aligned at lo (lo's lowest set bit) that does not pass hi.
    std::uint32_t size = lo == 0 ? 0x10000u : (lo & (0u - lo));
    while (lo + size - 1 > hi) size >>= 1;
    blocks.emplace_back(static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(~(size - 1) & 0xffffu));
    lo += size;
  }
  return blocks;
}

std::vector<U32Key> port_keys(Family family, std::uint16_t value, std::uint16_t mask, bool destination) {
  const PortWord w = destination ? PortWord{value, mask}
                                 : PortWord{std::uint32_t{value} << 16, std::uint32_t{mask} << 16};
  return port_word_keys(family, w);
}

std::vector<U32Rule> rules_for_match(const Match& match) {
  const std::vector<PortWord> words = port_words(match);
  std::vector<U32Rule> rules;
  for (Family fam : {Family::v4, Family::v6}) add_family_rules(match, fam, words, rules);
  if (rules.empty()) {
    throw FieldError("match", "match.to and match.from share no address family, so nothing could match",
                     "IPv4 with IPv4, IPv6 with IPv6");
  }
  return rules;
}

Match as_seen_on_ingress(const Match& match) {
  Match m = match;
  std::swap(m.to, m.from);
  std::swap(m.dport, m.sport);
  return m;
}

std::vector<U32Rule> neighbour_discovery_rules() {
  // Types 133-137 as two masked blocks (132-135 and 136-137): fewer filters on
  // every device's hot path. 132 (MLD done) rides along, and is never cut either.
  std::vector<U32Rule> rules;
  for (const auto& [type, mask] : {std::pair<std::uint32_t, std::uint32_t>{0x84, 0xfc}, {0x88, 0xfe}}) {
    rules.push_back({Family::v6, {next_header_key(kIcmpV6), {htonl(type << 24), htonl(mask << 24), kV6Payload}}});
  }
  return rules;
}

}  // namespace injector::tc
