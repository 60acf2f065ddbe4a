#include "common/fault_json.h"

#include "common/impairments_json.h"
#include "common/json_reader.h"
#include "common/strings.h"

#include <optional>
#include <set>

namespace injector {
namespace {

using nlohmann::json;

std::vector<Cidr> cidrs_from_json(const json* v, const std::string& field) {
  std::vector<Cidr> out;
  if (!v) return out;
  if (!v->is_array()) throw FieldError(field, "expected an array of CIDR strings");
  if (v->size() > SpecLimits::kMaxTargets) {
    throw FieldError(field, std::to_string(v->size()) + " networks given",
                     "at most " + std::to_string(SpecLimits::kMaxTargets));
  }
  out.reserve(v->size());
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string item = field + "[" + std::to_string(i) + "]";
    if (!(*v)[i].is_string()) throw FieldError(item, "expected a CIDR string");
    if ((*v)[i].get_ref<const std::string&>().size() > limits::kMaxCidrText) {
      throw FieldError(item, "is " + std::to_string((*v)[i].get_ref<const std::string&>().size()) + " characters long",
                       "an IPv4 or IPv6 CIDR of at most " + std::to_string(limits::kMaxCidrText) + " characters");
    }
    try {
      out.push_back(Cidr::parse((*v)[i].get<std::string>()));
    } catch (const std::invalid_argument& e) {
      throw FieldError(item, e.what(), "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/64");
    }
  }
  return out;
}

// 443, or "8000-8100" for a range.
std::optional<PortRange> port_range_from_json(const json* v, const std::string& field) {
  if (!v) return std::nullopt;
  const std::string allowed = "a port 0-65535, or a range \"FIRST-LAST\"";
  if (v->is_number_unsigned() && v->get<std::uint64_t>() <= 65535) {
    const auto port = v->get<std::uint16_t>();
    return PortRange{port, port};
  }
  if (!v->is_string()) throw FieldError(field, "expected a port number or range", allowed);
  try {
    return parse_port_range(v->get<std::string>());
  } catch (const std::invalid_argument& e) {
    throw FieldError(field, e.what(), allowed);
  }
}

// One side of the match under its name (`peer`, `local`) or its v1 alias
// (`to`, `from`), which journals and older scripts still send. Errors name the
// key the client used; giving both names of one side is refused, because
// which list was meant cannot be guessed.
std::vector<Cidr> side_from_json(JsonObjectReader& r, const char* name, const char* alias) {
  const json* named = r.optional(name);
  const json* aliased = r.optional(alias);
  if (named && aliased) {
    throw FieldError(std::string("match.") + alias, std::string("names the same side as match.") + name,
                     std::string("one of match.") + name + " or match." + alias);
  }
  return named ? cidrs_from_json(named, std::string("match.") + name)
               : cidrs_from_json(aliased, std::string("match.") + alias);
}

Match match_from_json(const json& j) {
  JsonObjectReader r(j, "match");
  Match m;
  m.to = side_from_json(r, "peer", "to");
  m.from = side_from_json(r, "local", "from");
  if (auto p = r.optional_string("protocol")) m.protocol = protocol_from_string(*p);
  m.dport = port_range_from_json(r.optional("dport"), "match.dport");
  m.sport = port_range_from_json(r.optional("sport"), "match.sport");
  r.reject_unknown("peer, local, protocol, dport, sport (to and from: aliases of peer and local)");
  return m;
}

Lifetime lifetime_from_json(const json& j) {
  JsonObjectReader r(j, "lifetime");
  Lifetime life;
  if (const json* v = r.optional("duration_ms")) {
    if (!v->is_number_integer()) throw FieldError("lifetime.duration_ms", "expected an integer number of milliseconds");
    if (v->is_number_unsigned() ? false : v->get<std::int64_t>() < 0) {
      throw FieldError("lifetime.duration_ms", "must not be negative", "1 or more, or 0 for the daemon's default");
    }
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > std::uint64_t{INT64_MAX}) {
      throw FieldError("lifetime.duration_ms", "is absurdly large", "at most the daemon's cap (see GET /v1/health)");
    }
    life.duration = std::chrono::milliseconds(v->get<std::int64_t>());
  }
  life.lease = std::chrono::milliseconds(r.integer("lease_ms", 0, 0, Lifetime::kMaxLease.count()));
  r.reject_unknown("duration_ms, lease_ms");
  return life;
}

std::map<std::string, std::string> labels_from_json(const json* v) {
  std::map<std::string, std::string> labels;
  if (!v) return labels;
  if (!v->is_object()) throw FieldError("labels", "expected an object of string values");
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) throw FieldError("labels." + printable(key), "expected a string");
    labels[key] = value.get<std::string>();
  }
  return labels;
}

}  // namespace

FaultSpec fault_spec_from_json(const json& j) {
  JsonObjectReader r(j, "");
  FaultSpec spec;
  spec.device = r.string("device");
  const json* match = r.optional("match");
  if (!match) throw FieldError("match", "is required", "an object with peer/local CIDR lists");
  spec.match = match_from_json(*match);
  if (auto d = r.optional_string("direction")) spec.direction = direction_from_string(*d);
  if (auto b = r.optional_string("backend")) spec.backend = backend_from_string(*b);
  const json* imp = r.optional("impairments");
  if (!imp) throw FieldError("impairments", "is required", "an object such as {\"cut\": {}}");
  spec.impairments = impairments_from_json(*imp);
  if (const json* life = r.optional("lifetime")) spec.lifetime = lifetime_from_json(*life);
  spec.labels = labels_from_json(r.optional("labels"));
  if (auto c = r.optional_string("control_path")) spec.control_path = control_path_from_string(*c);
  r.reject_unknown("device, match, direction, backend, impairments, lifetime, labels, control_path");
  return spec;
}

json to_json(const FaultSpec& spec) {
  auto cidrs = [](const std::vector<Cidr>& list) {
    json a = json::array();
    for (const auto& c : list) a.push_back(c.to_string());
    return a;
  };
  json match = {{"peer", cidrs(spec.match.to)}, {"local", cidrs(spec.match.from)},
                {"protocol", to_string(spec.match.protocol)}};
  if (spec.match.dport) match["dport"] = to_string(*spec.match.dport);
  if (spec.match.sport) match["sport"] = to_string(*spec.match.sport);
  return {{"device", spec.device},
          {"match", match},
          {"direction", to_string(spec.direction)},
          {"backend", to_string(spec.backend)},
          {"impairments", to_json(spec.impairments)},
          {"lifetime", {{"duration_ms", spec.lifetime.duration.count()}, {"lease_ms", spec.lifetime.lease.count()}}},
          {"labels", spec.labels},
          {"control_path", to_string(spec.control_path)}};
}

json to_request_json(const FaultSpec& spec) {
  json j = to_json(spec);
  json& match = j["match"];
  match["to"] = std::move(match["peer"]);
  match["from"] = std::move(match["local"]);
  match.erase("peer");
  match.erase("local");
  return j;
}

json error_json(std::string_view code, const std::string& message, const std::string& field,
                const std::string& allowed) {
  json e = {{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  if (!allowed.empty()) e["allowed"] = allowed;
  return {{"error", e}};
}

json error_json(std::string_view code, const FieldError& e) {
  return error_json(code, e.message(), e.field(), e.allowed());
}

}  // namespace injector
