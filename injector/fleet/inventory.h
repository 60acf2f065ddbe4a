#pragma once
// The fleet inventory (docs/inventory.md): datacenters with their networks,
// hosts with their daemon, device and addresses, and (version 2) the services
// a drill talks to. Loading validates all of it, so planners and the fleet
// client can rely on every reference resolving.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cidr.h"
#include "injector/http_client.h"

namespace injector::fleet {

// Client certificate, key and CA for daemons reached over https (the CLI's
// --cert, --key, --ca). Paths are resolved against the inventory file's directory.
using TlsClient = client::TlsFiles;

struct Datacenter {
  std::string name;
  std::vector<Cidr> cidrs;
};

struct Host {
  std::string name;
  std::string datacenter;
  std::string daemon;  // --daemon syntax: unix:/path or https://host:port
  std::string device;
  std::vector<Cidr> addresses;     // single addresses (/32, /128)
  std::string netns;               // lab only; empty elsewhere
  std::optional<TlsClient> tls;    // the host's own, or the file's default

  client::Endpoint endpoint() const;  // the daemon address with the TLS files
};

// A service of the system under test (version 2), for drills and checkers to
// find it: the payment API, one datacenter's payment service, an etcd member.
struct Service {
  std::string name;  // unique in the inventory
  std::string kind;  // one of kServiceKinds
  std::string url;   // http(s)://ADDRESS:PORT[/path]
  std::string host;  // a host of the inventory: gives the datacenter (and the lab's netns)
};

// What each kind means is in docs/inventory.md.
inline constexpr const char* kServiceKinds[] = {"payments-api", "payments", "etcd"};

struct Inventory {
  std::string path;  // where it was read from, for messages
  int version = 1;
  std::vector<Datacenter> datacenters;
  std::vector<Host> hosts;
  std::vector<Service> services;  // always empty in version 1

  // nullptr when there is no such datacenter.
  const Datacenter* datacenter(std::string_view name) const;
  std::vector<const Host*> hosts_in(std::string_view datacenter) const;
  std::vector<std::string> datacenter_names() const;
  // nullptr when there is no such host.
  const Host* host(std::string_view name) const;
  std::vector<const Service*> services_of(std::string_view kind) const;
};

// Parses and validates; throws FieldError naming the field by its path in the
// file ("hosts[2].datacenter") with what was wrong and what is allowed.
Inventory parse_inventory(std::string_view yaml, const std::string& base_dir = ".");
// Reads the file; a missing or unreadable file is a FieldError on "inventory".
Inventory load_inventory(const std::string& path);

}  // namespace injector::fleet
