#include "injector/fleet/inventory.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "common/field_error.h"
#include "injector/http_client.h"
#include "common/strings.h"

namespace injector::fleet {
namespace {

// Strict reading of one YAML mapping: getters name the field's path, and
// finish() refuses keys nobody asked for (they are reserved for later versions).
class MapReader {
 public:
  // `keys`: every field this mapping may hold.
  MapReader(const YAML::Node& node, std::string path, std::set<std::string> keys)
      : node_(node), path_(std::move(path)), keys_(std::move(keys)) {
    if (!node_.IsMap()) throw FieldError(path_.empty() ? "inventory" : path_, "expected a mapping of fields");
  }
  std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  YAML::Node optional(const std::string& key) {
    seen_.insert(key);
    const YAML::Node& node = node_;  // const lookup: a missing key must not be created
    return node[key];
  }
  YAML::Node required(const std::string& key) {
    YAML::Node v = optional(key);
    if (!v || v.IsNull()) throw FieldError(at(key), "is required" + unknown_keys_here(), "see docs/inventory.md");
    return v;
  }
  // A missing required key is often a misspelt one (`cidr:` for `cidrs:`):
  // name the keys here that nobody asked for yet.
  std::string unknown_keys_here() const {
    std::string keys;
    for (const auto& kv : node_) {
      const auto k = kv.first.as<std::string>();
      if (!keys_.contains(k)) keys += (keys.empty() ? "" : ", ") + k;
    }
    return keys.empty() ? "" : "; found unknown field(s) " + keys + " here (misspelt?)";
  }
  std::string string(const std::string& key) {
    YAML::Node v = required(key);
    if (!v.IsScalar()) throw FieldError(at(key), "expected a single value");
    return v.as<std::string>();
  }
  std::vector<std::string> strings(const std::string& key) {
    YAML::Node v = required(key);
    if (!v.IsSequence()) throw FieldError(at(key), "expected a list");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) throw FieldError(at(key) + "[" + std::to_string(i) + "]", "expected a single value");
      out.push_back(v[i].as<std::string>());
    }
    return out;
  }
  void finish() const {
    for (const auto& kv : node_) {
      const auto key = kv.first.as<std::string>();
      if (!seen_.contains(key)) throw FieldError(at(key), "unknown field", allowed_keys() + "; see docs/inventory.md");
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  std::string allowed_keys() const {
    std::string s;
    for (const auto& k : keys_) s += (s.empty() ? "" : ", ") + k;
    return s;
  }
  std::set<std::string> seen_;
  std::set<std::string> keys_;
};

std::string indexed(const std::string& list, std::size_t i) { return list + "[" + std::to_string(i) + "]"; }

void check_name(const std::string& field, const std::string& name) {
  static const std::regex kName("[a-z0-9][a-z0-9-]{0,62}");
  if (!std::regex_match(name, kName)) {
    throw FieldError(field, quote_input(name) + " is not a valid name", "[a-z0-9][a-z0-9-]*, at most 63 characters");
  }
}

Cidr cidr_field(const std::string& field, const std::string& text) {
  try {
    return Cidr::parse(text);
  } catch (const std::invalid_argument& e) {
    throw FieldError(field, e.what(), "a CIDR such as 10.77.1.0/24 or \"fd77:0:1::/64\"");
  }
}

bool overlaps(const Cidr& a, const Cidr& b) { return a.family == b.family && (a.contains(b) || b.contains(a)); }

std::optional<TlsClient> tls_field(MapReader& parent, const std::string& key, const std::string& base_dir) {
  YAML::Node node = parent.optional(key);
  if (!node || node.IsNull()) return std::nullopt;
  MapReader r(node, parent.at(key), {"cert", "key", "ca"});
  auto resolve = [&](const std::string& k) {
    std::filesystem::path p = r.string(k);
    return (p.is_absolute() ? p : std::filesystem::path(base_dir) / p).lexically_normal().string();
  };
  TlsClient tls{resolve("cert"), resolve("key"), resolve("ca")};
  r.finish();
  return tls;
}

Datacenter read_datacenter(const YAML::Node& node, const std::string& path) {
  MapReader r(node, path, {"name", "cidrs"});
  Datacenter dc;
  dc.name = r.string("name");
  check_name(r.at("name"), dc.name);
  const auto cidrs = r.strings("cidrs");
  if (cidrs.empty()) throw FieldError(r.at("cidrs"), "is empty", "at least one CIDR");
  for (std::size_t i = 0; i < cidrs.size(); ++i) dc.cidrs.push_back(cidr_field(indexed(r.at("cidrs"), i), cidrs[i]));
  r.finish();
  return dc;
}

Host read_host(const YAML::Node& node, const std::string& path, const std::string& base_dir) {
  MapReader r(node, path, {"name", "datacenter", "daemon", "device", "addresses", "netns", "tls"});
  Host h;
  h.name = r.string("name");
  check_name(r.at("name"), h.name);
  h.datacenter = r.string("datacenter");
  h.daemon = r.string("daemon");
  try {
    // Syntax only here: whether an https daemon has its TLS files is checked
    // once the file's default `tls` is known (check_host).
    client::Endpoint::parse(h.daemon, h.daemon.starts_with("https:") ? TlsClient{"-", "-", "-"} : TlsClient{});
  } catch (const std::invalid_argument& e) {
    throw FieldError(r.at("daemon"), e.what());
  }
  h.device = r.string("device");
  if (h.device.empty() || h.device.size() > 15 || h.device.find_first_of("/: \t") != std::string::npos) {
    throw FieldError(r.at("device"), quote_input(h.device) + " is not an interface name", "1-15 characters, no '/', ':' or spaces");
  }
  const auto addresses = r.strings("addresses");
  if (addresses.empty()) throw FieldError(r.at("addresses"), "is empty", "at least one address");
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const Cidr a = cidr_field(indexed(r.at("addresses"), i), addresses[i]);
    if (a.prefix_len != a.max_prefix()) throw FieldError(indexed(r.at("addresses"), i), "is a network, not an address");
    h.addresses.push_back(a);
  }
  if (YAML::Node ns = r.optional("netns"); ns && !ns.IsNull()) h.netns = ns.as<std::string>();
  h.tls = tls_field(r, "tls", base_dir);
  r.finish();
  return h;
}

// A URL a drill can call: a scheme, an address or name, an explicit port and
// an optional path. Nothing is resolved or contacted here.
void check_service_url(const std::string& field, const std::string& url) {
  static const std::regex kUrl(
      R"((https?)://(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*):(\d{1,5})(/\S*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl) || std::stoi(m[7].str()) < 1 || std::stoi(m[7].str()) > 65535) {
    throw FieldError(field, quote_input(url) + " is not a service URL", "http:// or https://, an address or name, a port 1-65535, an optional path; for example http://10.77.4.11:8080");
  }
}

Service read_service(const YAML::Node& node, const std::string& path) {
  MapReader r(node, path, {"name", "kind", "url", "host"});
  Service s;
  s.name = r.string("name");
  check_name(r.at("name"), s.name);
  s.kind = r.string("kind");
  if (std::ranges::find(kServiceKinds, s.kind) == std::end(kServiceKinds)) {
    std::string allowed;
    for (const char* k : kServiceKinds) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
    throw FieldError(r.at("kind"), "unknown service kind " + quote_input(s.kind), allowed);
  }
  s.url = r.string("url");
  check_service_url(r.at("url"), s.url);
  s.host = r.string("host");
  r.finish();
  return s;
}

// Version 2's services: refused in version 1, names unique, hosts known.
void read_services(MapReader& r, Inventory& inv) {
  YAML::Node list = r.optional("services");
  if (!list || list.IsNull()) return;
  if (inv.version < 2) throw FieldError("services", "needs version 2", "version: 2, or no services");
  if (!list.IsSequence()) throw FieldError("services", "expected a list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = indexed("services", i);
    Service s = read_service(list[i], path);
    for (const auto& other : inv.services) {
      if (other.name == s.name) throw FieldError(path + ".name", quote_input(s.name) + " appears twice");
    }
    if (!inv.host(s.host)) throw FieldError(path + ".host", "no host named " + quote_input(s.host), "one of the names under hosts");
    inv.services.push_back(std::move(s));
  }
}

void check_datacenters(const std::vector<Datacenter>& dcs) {
  for (std::size_t i = 0; i < dcs.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (dcs[i].name == dcs[j].name) throw FieldError(indexed("datacenters", i) + ".name", quote_input(dcs[i].name) + " appears twice");
      for (const auto& a : dcs[i].cidrs) {
        for (const auto& b : dcs[j].cidrs) {
          if (overlaps(a, b)) {
            throw FieldError(indexed("datacenters", i) + ".cidrs", a.to_string() + " overlaps " + b.to_string() + " of datacenter " + dcs[j].name,
                             "disjoint networks per datacenter");
          }
        }
      }
    }
  }
}

void check_host(const Inventory& inv, std::size_t i) {
  const Host& h = inv.hosts[i];
  const std::string path = indexed("hosts", i);
  for (std::size_t j = 0; j < i; ++j) {
    if (inv.hosts[j].name == h.name) throw FieldError(path + ".name", quote_input(h.name) + " appears twice");
  }
  const Datacenter* dc = inv.datacenter(h.datacenter);
  if (!dc) throw FieldError(path + ".datacenter", "no datacenter named " + quote_input(h.datacenter), "one of the names under datacenters");
  for (std::size_t k = 0; k < h.addresses.size(); ++k) {
    bool inside = false;
    for (const auto& c : dc->cidrs) inside = inside || c.contains(h.addresses[k]);
    if (!inside) {
      throw FieldError(indexed(path + ".addresses", k), h.addresses[k].to_string() + " is outside datacenter " + dc->name + "'s networks");
    }
  }
  if (h.daemon.starts_with("https:") && !h.tls) {
    throw FieldError(path + ".tls", "is required for an https daemon", "cert, key and ca here or at the top level");
  }
}

}  // namespace

client::Endpoint Host::endpoint() const {
  const bool https = daemon.starts_with("https:");
  return client::Endpoint::parse(daemon, https ? tls.value_or(TlsClient{}) : TlsClient{});
}

const Datacenter* Inventory::datacenter(std::string_view name) const {
  for (const auto& dc : datacenters) {
    if (dc.name == name) return &dc;
  }
  return nullptr;
}

std::vector<const Host*> Inventory::hosts_in(std::string_view dc) const {
  std::vector<const Host*> out;
  for (const auto& h : hosts) {
    if (h.datacenter == dc) out.push_back(&h);
  }
  return out;
}

const Host* Inventory::host(std::string_view name) const {
  for (const auto& h : hosts) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

std::vector<const Service*> Inventory::services_of(std::string_view kind) const {
  std::vector<const Service*> out;
  for (const auto& s : services) {
    if (s.kind == kind) out.push_back(&s);
  }
  return out;
}

std::vector<std::string> Inventory::datacenter_names() const {
  std::vector<std::string> out;
  for (const auto& dc : datacenters) out.push_back(dc.name);
  return out;
}

Inventory parse_inventory(std::string_view yaml, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw FieldError("inventory", std::string("not valid YAML: ") + e.what());
  }
  MapReader r(root, "", {"version", "tls", "datacenters", "hosts", "services"});
  const std::string version = r.string("version");
  if (version != "1" && version != "2") throw FieldError("version", "unknown format version " + quote_input(version), "1 or 2");
  Inventory inv;
  inv.version = version == "1" ? 1 : 2;
  const auto default_tls = tls_field(r, "tls", base_dir);
  YAML::Node dcs = r.required("datacenters");
  if (!dcs.IsSequence() || dcs.size() == 0) throw FieldError("datacenters", "expected a non-empty list");
  for (std::size_t i = 0; i < dcs.size(); ++i) inv.datacenters.push_back(read_datacenter(dcs[i], indexed("datacenters", i)));
  YAML::Node hosts = r.required("hosts");
  if (!hosts.IsSequence()) throw FieldError("hosts", "expected a list");
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    inv.hosts.push_back(read_host(hosts[i], indexed("hosts", i), base_dir));
    if (!inv.hosts.back().tls) inv.hosts.back().tls = default_tls;
  }
  read_services(r, inv);
  r.finish();
  check_datacenters(inv.datacenters);
  for (std::size_t i = 0; i < inv.hosts.size(); ++i) check_host(inv, i);
  return inv;
}

Inventory load_inventory(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FieldError("inventory", "cannot read " + quote_input(path, limits::kMaxQuotedPath));
  std::ostringstream text;
  text << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path();
  Inventory inv = parse_inventory(text.str(), dir.empty() ? "." : dir.string());
  inv.path = path;
  return inv;
}

}  // namespace injector::fleet
