#pragma once
// The fault spec: one type from the CLI flags, through the JSON API, to the
// netlink calls. A fault is {device, match, direction, impairments, lifetime,
// labels}; new impairments are new optional members of Impairments, so the
// API's shape does not change when they arrive.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cidr.h"
#include "common/impairments.h"
#include "common/input_limits.h"

namespace injector {

enum class Protocol : std::uint8_t { any, tcp, udp, icmp };
enum class Direction : std::uint8_t { egress, ingress, both };
// Who carries out the impairments: the kernel's traffic control (netem,
// blackhole, HTB), the daemon's own delay line (NFQUEUE), or whichever fits
// (auto: netem where the kernel has it and allows the combination).
enum class Backend : std::uint8_t { auto_select, netem, delayline };

std::string_view to_string(Protocol p);
std::string_view to_string(Direction d);
Protocol protocol_from_string(std::string_view s);    // throws FieldError("protocol", ...)
Direction direction_from_string(std::string_view s);  // throws FieldError("direction", ...)
std::string_view to_string(Backend b);                 // "auto", "netem", "delayline"
Backend backend_from_string(std::string_view s);        // throws FieldError("backend", ...)

// Whether the fault spares the control path (the daemon's API connections and
// its --management list; see common/exclusion.h): exclude (default) spares it,
// include opts out and lets the fault cut it too.
enum class ControlPath : std::uint8_t { exclude, include };
std::string_view to_string(ControlPath c);                 // "exclude", "include"
ControlPath control_path_from_string(std::string_view s);  // throws FieldError("control_path", ...)

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};
PortRange parse_port_range(std::string_view text);  // "443" or "8000-8100"; throws std::invalid_argument
std::string to_string(const PortRange& r);          // "443" or "8000-8100"

// Which packets the fault applies to. Empty `to` and `from` lists are
// wildcards, but at least one of them must be given (no accidental "cut all").
struct Match {
  std::vector<Cidr> to;    // destination networks
  std::vector<Cidr> from;  // source networks
  Protocol protocol = Protocol::any;
  std::optional<PortRange> dport;
  std::optional<PortRange> sport;
  friend bool operator==(const Match&, const Match&) = default;
};

struct Lifetime {
  // Zero means "the daemon's default"; the daemon caps every lifetime.
  std::chrono::milliseconds duration{0};
  // A dead-man's switch: when non-zero, the holder must renew the fault
  // (POST /v1/faults/{id}/lease) at least this often or the daemon reverts it.
  std::chrono::milliseconds lease{0};
  static constexpr std::chrono::milliseconds kMinLease = limits::kMinLease;
  static constexpr std::chrono::milliseconds kMaxLease = limits::kMaxLease;
  friend bool operator==(const Lifetime&, const Lifetime&) = default;
};

struct FaultSpec {
  std::string device;
  Match match;
  Direction direction = Direction::egress;
  Backend backend = Backend::auto_select;
  Impairments impairments;
  Lifetime lifetime;
  std::map<std::string, std::string> labels;
  ControlPath control_path = ControlPath::exclude;
  friend bool operator==(const FaultSpec&, const FaultSpec&) = default;
};

// Hard limits on input, shared by CLI and daemon so both reject the same things
// (their values: common/input_limits.h).
struct SpecLimits {
  static constexpr std::size_t kMaxTargets = limits::kMaxTargets;
  static constexpr std::size_t kMaxLabels = limits::kMaxLabels;
  static constexpr std::size_t kMaxLabelKey = limits::kMaxLabelKey;
  static constexpr std::size_t kMaxLabelValue = limits::kMaxLabelValue;
  static constexpr std::size_t kMaxDeviceName = limits::kMaxDeviceName;
};

// Everything that can be checked without the kernel. Throws FieldError naming
// the field (e.g. "match.to[3]", "labels.team") and what is allowed.
void validate(const FaultSpec& spec);

// Count, keys and values of labels (on a fault, or in a ?label= filter at `field`).
void validate_labels(const std::map<std::string, std::string>& labels, const std::string& field = "labels");

// "K=V" -> {K, V}; throws FieldError("labels", ...).
std::pair<std::string, std::string> parse_label(std::string_view text);

}  // namespace injector
