#include "daemon/apply_warnings.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <utility>

#include "common/impairments_json.h"

namespace injector {

std::vector<Cidr> host_addresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> guard(list, freeifaddrs);
  std::vector<Cidr> out;
  for (const ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    Cidr c;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      std::memcpy(c.addr.data(), &sin->sin_addr, 4);
      c.family = Family::v4;
      c.prefix_len = 32;
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      std::memcpy(c.addr.data(), &sin6->sin6_addr, 16);
      c.family = Family::v6;
      c.prefix_len = 128;
    } else {
      continue;
    }
    out.push_back(c);
  }
  return out;
}

bool device_exists(const std::string& name) {
  return !name.empty() && name.size() < IF_NAMESIZE && if_nametoindex(name.c_str()) != 0;
}

namespace {

std::string listed(const std::vector<Cidr>& cidrs) {
  std::string s;
  for (std::size_t i = 0; i < cidrs.size() && i < 3; ++i) s += (i ? ", " : "") + cidrs[i].to_string();
  if (cidrs.size() > 3) s += ", ... (" + std::to_string(cidrs.size()) + " in all)";
  return s;
}

}  // namespace

std::vector<ApplyWarning> local_side_warnings(const FaultSpec& spec, const std::vector<Cidr>& addresses) {
  const auto& local = spec.match.from;
  if (local.empty()) return {};
  for (const auto& net : local) {
    for (const auto& addr : addresses) {
      if (net.contains(addr)) return {};
    }
  }
  std::string what = "the local side (match.local, the CLI's --local or --from) " + listed(local) +
                     " covers none of this host's addresses, so the fault matches no packet ";
  if (spec.direction == Direction::egress) what += "this host sends from its own addresses";
  else if (spec.direction == Direction::ingress) what += "that arrives for this host's own addresses";
  else what += "this host sends or receives on its own addresses";
  what +=
      ". The local side names this host in every direction; to match a remote host or network (on ingress: the "
      "sender), use match.peer (--peer). Applied anyway: a router, or a host about to take over a moving address, may "
      "mean it";
  return {{"local_matches_no_address", "match.local", what, ""}};
}

namespace {

// An empty list is a wildcard; otherwise two networks of one family nest.
bool cidrs_meet(const std::vector<Cidr>& a, const std::vector<Cidr>& b) {
  if (a.empty() || b.empty()) return true;
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (x.family == y.family && (x.contains(y) || y.contains(x))) return true;
    }
  }
  return false;
}

bool ports_meet(const std::optional<PortRange>& a, const std::optional<PortRange>& b) {
  return !a || !b || (a->first <= b->last && b->first <= a->last);
}

bool may_share_packets(const FaultSpec& a, const FaultSpec& b) {
  if (a.device != b.device) return false;
  const bool sides = a.direction == b.direction || a.direction == Direction::both || b.direction == Direction::both;
  const bool proto = a.match.protocol == Protocol::any || b.match.protocol == Protocol::any ||
                     a.match.protocol == b.match.protocol;
  return sides && proto && cidrs_meet(a.match.to, b.match.to) && cidrs_meet(a.match.from, b.match.from) &&
         ports_meet(a.match.dport, b.match.dport) && ports_meet(a.match.sport, b.match.sport);
}

std::string kinds(const FaultSpec& s) {
  std::string k;
  const nlohmann::json imp = to_json(s.impairments);
  for (const auto& [name, v] : imp.items()) k += (k.empty() ? "" : "+") + name;
  return k;
}

// Traffic control asks the slots' filters in priority order (opted-out faults
// first, then by slot) and the first match wins; the delay line's rules are
// appended, so the earlier fault's rule takes the packet. Across the two, the
// packet meets both (nf_tables and the qdisc are different stages).
std::string who_wins(const Fault& added, const Fault& other) {
  if (added.backend != other.backend) {
    return "both act on a packet that both match, one after the other (one is served by the delay line, the other "
           "by traffic control)";
  }
  const Fault* first = &other;
  if (added.backend != Backend::delayline) {
    const auto rank = [](const Fault& f) { return std::pair{!f.ahead_of_exclusions(), f.slot}; };
    if (rank(added) < rank(other)) first = &added;
  }
  return "impairments do not stack: a packet that both match gets only " + first->id + "'s (" + kinds(first->spec) +
         "), whose " + (added.backend == Backend::delayline ? "queue rule" : "filters") + " come first";
}

}  // namespace

std::vector<ApplyWarning> overlap_warnings(const Fault& added, const std::vector<const Fault*>& faults) {
  std::vector<ApplyWarning> out;
  for (const Fault* other : faults) {
    if (other->id == added.id || !may_share_packets(added.spec, other->spec)) continue;
    out.push_back({"overlaps_fault", "match",
                   "may match the same traffic as " + other->id + " (" + kinds(other->spec) + ", " +
                       std::string(to_string(other->spec.direction)) + " on " + other->spec.device + "): " +
                       who_wins(added, *other) + ". To change what that traffic gets, update " + other->id +
                       " in place (PATCH, `injector fault update`) instead",
                   other->id});
  }
  return out;
}

nlohmann::json to_json(const std::vector<ApplyWarning>& warnings) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& w : warnings) {
    nlohmann::json j = {{"code", w.code}, {"field", w.field}, {"message", w.message}};
    if (!w.fault.empty()) j["fault"] = w.fault;
    list.push_back(j);
  }
  return list;
}

}  // namespace injector
