#pragma once
// Control-path exclusions: traffic that no fault may touch unless a fault
// explicitly opts out (FaultSpec::control_path = include). An exclusion is
// "traffic between this host's local PORT and PEER": on egress the local port
// is the packet's source port and the peer its destination; on ingress the
// other way round. Both directions of a connection are therefore excluded.
//
// Sources: the daemon's --management list (empty by default) and the
// daemon's own TCP API listen endpoint (listen_exclusion).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cidr.h"
#include "common/fault_spec.h"

namespace injector {

struct Exclusion {
  Protocol protocol = Protocol::any;  // any, tcp or udp
  std::optional<Cidr> peer;           // nullopt: any peer (both families)
  std::optional<PortRange> local_port;  // requires tcp or udp
  friend bool operator==(const Exclusion&, const Exclusion&) = default;
};

// "tcp:22", "udp:53", "tcp:8000-8100", "10.0.0.0/8", "tcp:22@10.0.0.0/8",
// "tcp:22@fd00::/64", "[fd00::/64]", "tcp:22@[fd00::/64]", "tcp@10.0.0.0/8".
// Throws FieldError(field, ...) naming what is wrong and the allowed forms.
Exclusion parse_exclusion(std::string_view text, const std::string& field = "--management");

// The exclusion for a TCP API listening on `port`: every connection to it,
// from any peer, in both directions; other traffic between the hosts is not excluded.
Exclusion listen_exclusion(std::uint16_t port);

// "tcp local port 22 with 10.0.0.0/8", "any protocol with 10.0.0.0/8".
std::string to_string(const Exclusion& e);
nlohmann::json to_json(const Exclusion& e);

// The exclusion as a fault match in the fault's own terms (`to`/`dport` name
// the remote side, `from`/`sport` this host), so the tc and nft paths turn it
// into rules exactly as they turn a fault's match, ingress swap included.
Match exclusion_match(const Exclusion& e);

}  // namespace injector
