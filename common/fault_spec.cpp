#include "common/fault_spec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "common/field_error.h"
#include "common/strings.h"

namespace injector {
namespace {

constexpr std::array<std::string_view, 4> kProtocols{"any", "tcp", "udp", "icmp"};
constexpr std::array<std::string_view, 3> kDirections{"egress", "ingress", "both"};
constexpr std::array<std::string_view, 3> kBackends{"auto", "netem", "delayline"};

bool label_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/';
}

void validate_device(const std::string& dev) {
  const bool bad_char = std::any_of(dev.begin(), dev.end(), [](char c) {
    return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c));
  });
  if (dev.empty() || dev.size() > SpecLimits::kMaxDeviceName || bad_char || dev == "." || dev == "..") {
    throw FieldError("device", quote_input(dev) + " is not a valid interface name",
                     "1-15 printable characters without '/', ':' or spaces");
  }
}

void validate_targets(const std::vector<Cidr>& list, const std::string& field) {
  if (list.size() > SpecLimits::kMaxTargets) {
    throw FieldError(field, std::to_string(list.size()) + " networks given",
                     "at most " + std::to_string(SpecLimits::kMaxTargets));
  }
}

void validate_match(const Match& m) {
  if (m.to.empty() && m.from.empty()) {
    throw FieldError("match.to", "no target networks given: a fault must name what it applies to",
                     "one or more IPv4/IPv6 CIDRs in match.peer and/or match.local (v1 aliases: to, from)");
  }
  validate_targets(m.to, "match.to");
  validate_targets(m.from, "match.from");
  for (const auto& [port, field] : {std::pair{m.dport, "match.dport"}, std::pair{m.sport, "match.sport"}}) {
    if (!port) continue;
    if (port->first > port->last) throw FieldError(field, "range starts after it ends", "FIRST-LAST with FIRST <= LAST");
    if (m.protocol != Protocol::tcp && m.protocol != Protocol::udp) {
      throw FieldError(field, "ports need a transport protocol", "set match.protocol to tcp or udp");
    }
  }
}

}  // namespace

void validate_labels(const std::map<std::string, std::string>& labels, const std::string& field) {
  if (labels.size() > SpecLimits::kMaxLabels) {
    throw FieldError(field, std::to_string(labels.size()) + " labels given",
                     "at most " + std::to_string(SpecLimits::kMaxLabels));
  }
  for (const auto& [key, value] : labels) {
    if (key.empty() || key.size() > SpecLimits::kMaxLabelKey || !std::all_of(key.begin(), key.end(), label_key_char)) {
      throw FieldError(field, "label key " + quote_input(key) + " is not valid", "1-63 characters from [A-Za-z0-9_.-/]");
    }
    const bool plain_ascii = std::all_of(value.begin(), value.end(),
                                       [](char c) { return std::isprint(static_cast<unsigned char>(c)); });
    if (value.size() > SpecLimits::kMaxLabelValue || !plain_ascii) {
      throw FieldError(field + "." + key, "label value is not valid (" + std::to_string(value.size()) + " characters)",
                       "0-255 printable ASCII characters");
    }
  }
}

std::string_view to_string(Protocol p) { return kProtocols.at(static_cast<std::size_t>(p)); }
std::string_view to_string(Direction d) { return kDirections.at(static_cast<std::size_t>(d)); }
std::string_view to_string(Backend b) { return kBackends.at(static_cast<std::size_t>(b)); }

Backend backend_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kBackends.size(); ++i) {
    if (kBackends[i] == s) return static_cast<Backend>(i);
  }
  throw FieldError("backend", "unknown backend " + quote_input(s), "auto, netem, delayline");
}

std::string_view to_string(ControlPath c) { return c == ControlPath::include ? "include" : "exclude"; }

ControlPath control_path_from_string(std::string_view s) {
  if (s == "exclude") return ControlPath::exclude;
  if (s == "include") return ControlPath::include;
  throw FieldError("control_path", "unknown value " + quote_input(s),
                   "exclude (default: the daemon's control path is never faulted) or include (opt out)");
}

Protocol protocol_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kProtocols.size(); ++i) {
    if (kProtocols[i] == s) return static_cast<Protocol>(i);
  }
  throw FieldError("match.protocol", "unknown protocol " + quote_input(s), "any, tcp, udp, icmp");
}

Direction direction_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kDirections.size(); ++i) {
    if (kDirections[i] == s) return static_cast<Direction>(i);
  }
  throw FieldError("direction", "unknown direction " + quote_input(s), "egress, ingress, both");
}

void validate(const FaultSpec& spec) {
  validate_device(spec.device);
  validate_match(spec.match);
  validate(spec.impairments);
  if (spec.lifetime.duration.count() < 0) {
    throw FieldError("lifetime.duration_ms", "must not be negative", "a positive number of milliseconds, or 0 for the default");
  }
  const auto lease = spec.lifetime.lease;
  if (lease.count() != 0 && (lease < Lifetime::kMinLease || lease > Lifetime::kMaxLease)) {
    throw FieldError("lifetime.lease_ms", std::to_string(lease.count()) + " ms is out of range",
                     "0 (no lease) or 100 to 3600000 ms");
  }
  validate_labels(spec.labels);
}

PortRange parse_port_range(std::string_view text) {
  auto number = [&](std::string_view part) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || value > 65535) {
      throw std::invalid_argument(quote_input(text) + " is not a port or port range");
    }
    return static_cast<std::uint16_t>(value);
  };
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    const auto p = number(text);
    return {p, p};
  }
  return {number(text.substr(0, dash)), number(text.substr(dash + 1))};
}

std::string to_string(const PortRange& r) {
  return r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
}

std::pair<std::string, std::string> parse_label(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw FieldError("labels", quote_input(text) + " is not KEY=VALUE", "KEY=VALUE, e.g. drill=game-day");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace injector
