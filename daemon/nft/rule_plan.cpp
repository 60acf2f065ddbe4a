#include "daemon/nft/rule_plan.h"

#include <netinet/in.h>

#include <algorithm>
#include <charconv>

#include "common/field_error.h"
#include "daemon/tc/u32_keys.h"

namespace injector::nft {
namespace {

using Addr = std::array<std::uint8_t, 16>;

// The network's last address: its host bits all ones.
Addr last_address(const Cidr& c) {
  Addr a = c.addr;
  for (std::size_t bit = c.prefix_len; bit < c.max_prefix(); ++bit) {
    a[bit / 8] = static_cast<std::uint8_t>(a[bit / 8] | (0x80u >> (bit % 8)));
  }
  return a;
}

// a + 1 over the first len bytes; false when a was the family's last address.
bool increment(Addr& a, std::size_t len) {
  for (std::size_t i = len; i-- > 0;) {
    if (++a[i] != 0) return true;
  }
  return false;
}

bool is_zero(const Addr& a) {
  return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
}

std::vector<std::uint8_t> key_of(const Addr& a, std::size_t len) { return {a.begin(), a.begin() + static_cast<long>(len)}; }

// Element list for one address list, or nullopt when the list does not
// restrict addresses at all (empty, or covering the whole family).
std::optional<std::vector<SetElement>> address_test(const std::vector<Cidr>& all, Family family) {
  if (all.empty()) return std::nullopt;
  const auto ranges = merged_ranges(all, family);
  Addr ones{};
  std::fill_n(ones.begin(), address_bytes(family), std::uint8_t{0xff});
  if (ranges.size() == 1 && is_zero(ranges[0].first) && ranges[0].last == ones) return std::nullopt;
  return interval_elements(ranges, family);
}

std::optional<std::uint8_t> l4proto_of(Protocol p, Family f) {
  switch (p) {
    case Protocol::tcp: return std::uint8_t{IPPROTO_TCP};
    case Protocol::udp: return std::uint8_t{IPPROTO_UDP};
    case Protocol::icmp: return f == Family::v4 ? std::uint8_t{IPPROTO_ICMP} : std::uint8_t{IPPROTO_ICMPV6};
    case Protocol::any: break;
  }
  return std::nullopt;
}

// A port range worth testing: nullopt for none given or the full 0-65535
// (which every tcp/udp packet matches anyway).
std::optional<PortRange> port_test(const std::optional<PortRange>& r) {
  if (!r) return std::nullopt;
  if (r->first > r->last) throw FieldError("match", "port range ends before it starts", "first <= last");
  if (r->first == 0 && r->last == 65535) return std::nullopt;
  return r;
}

bool has_family(const std::vector<Cidr>& cidrs, Family f) {
  return std::any_of(cidrs.begin(), cidrs.end(), [f](const Cidr& c) { return c.family == f; });
}

}  // namespace

std::vector<AddressRange> merged_ranges(const std::vector<Cidr>& cidrs, Family family) {
  std::vector<AddressRange> ranges;
  for (const Cidr& c : cidrs) {
    if (c.family == family) ranges.push_back({c.addr, last_address(c)});
  }
  // Byte arrays in network order compare like the addresses they hold.
  std::sort(ranges.begin(), ranges.end(), [](const AddressRange& a, const AddressRange& b) { return a.first < b.first; });
  std::vector<AddressRange> merged;
  const std::size_t len = address_bytes(family);
  for (const AddressRange& r : ranges) {
    if (!merged.empty()) {
      AddressRange& cur = merged.back();
      Addr past = cur.last;
      // Overlapping or adjacent (r starts at or before the address after cur), or cur reaches the end.
      if (!increment(past, len) || r.first <= past) {
        cur.last = std::max(cur.last, r.last);
        continue;
      }
    }
    merged.push_back(r);
  }
  return merged;
}

std::vector<SetElement> interval_elements(const std::vector<AddressRange>& ranges, Family family) {
  const std::size_t len = address_bytes(family);
  std::vector<SetElement> out;
  out.reserve(2 * ranges.size() + 1);
  if (!ranges.empty() && !is_zero(ranges.front().first)) out.push_back({key_of(Addr{}, len), true});
  for (const AddressRange& r : ranges) {
    out.push_back({key_of(r.first, len), false});
    Addr past = r.last;
    if (increment(past, len)) out.push_back({key_of(past, len), true});
  }
  return out;
}

Match wire_match(const Match& fault_match, Direction side) {
  return side == Direction::ingress ? tc::as_seen_on_ingress(fault_match) : fault_match;
}

std::vector<FamilyRule> plan_queue_rules(const Match& m) {
  if ((m.dport || m.sport) && m.protocol != Protocol::tcp && m.protocol != Protocol::udp) {
    throw FieldError("match", "ports given without a protocol that has ports", "protocol tcp or udp with ports");
  }
  const auto dport = port_test(m.dport);
  const auto sport = port_test(m.sport);
  std::vector<FamilyRule> rules;
  for (Family f : {Family::v4, Family::v6}) {
    // An empty list is a wildcard, but only if the user gave none of any family there.
    if ((!m.to.empty() && !has_family(m.to, f)) || (!m.from.empty() && !has_family(m.from, f))) continue;
    rules.push_back({f, address_test(m.to, f), address_test(m.from, f), l4proto_of(m.protocol, f), dport, sport});
  }
  if (rules.empty()) {
    throw FieldError("match", "match.to and match.from share no address family, so nothing could match",
                     "IPv4 with IPv4, IPv6 with IPv6");
  }
  return rules;
}

std::vector<ExclusionTest> plan_exclusion_tests(const std::vector<Exclusion>& exclusions, Direction side,
                                                const FamilyRule& fault) {
  std::vector<ExclusionTest> tests;
  for (const Exclusion& e : exclusions) {
    const Match m = wire_match(exclusion_match(e), side);
    if (e.peer && e.peer->family != fault.family) continue;
    const auto proto = l4proto_of(m.protocol, fault.family);
    if (proto && fault.l4proto && *proto != *fault.l4proto) continue;  // no packet is both
    ExclusionTest t{proto ? proto : fault.l4proto, port_test(m.dport), port_test(m.sport), std::nullopt, std::nullopt};
    if (!m.to.empty() && m.to[0].prefix_len > 0) t.daddr = m.to[0];
    if (!m.from.empty() && m.from[0].prefix_len > 0) t.saddr = m.from[0];
    tests.push_back(t);
  }
  return tests;
}

std::string set_name(std::uint16_t queue, Direction side, bool destination) {
  return "q" + std::to_string(queue) + "_" + std::string(to_string(side)) + (destination ? "_daddr" : "_saddr");
}

std::string rule_comment(std::uint16_t queue, Direction side) {
  return "injectord queue=" + std::to_string(queue) + " " + std::string(to_string(side));
}

std::string exclusion_comment(std::uint16_t queue, Direction side) { return rule_comment(queue, side) + " exclusion"; }

std::optional<std::uint16_t> queue_of_rule_comment(std::string_view comment) {
  constexpr std::string_view kPrefix = "injectord queue=";
  if (comment.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const char* begin = comment.data() + kPrefix.size();
  const char* end = comment.data() + comment.size();
  std::uint16_t queue = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, queue);
  if (ec != std::errc{} || ptr == begin || (ptr != end && *ptr != ' ')) return std::nullopt;
  return queue;
}

bool set_belongs_to_queue(std::string_view name, std::uint16_t queue) {
  const std::string prefix = "q" + std::to_string(queue) + "_";
  return name.substr(0, prefix.size()) == prefix;
}

}  // namespace injector::nft
