#include "daemon/apply_warnings.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

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
  return {{"local_matches_no_address", "match.local", what}};
}

nlohmann::json to_json(const std::vector<ApplyWarning>& warnings) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& w : warnings) list.push_back({{"code", w.code}, {"field", w.field}, {"message", w.message}});
  return list;
}

}  // namespace injector
