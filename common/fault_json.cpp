#include "common/fault_json.h"

#include <optional>
#include <set>

namespace injector {
namespace {

using nlohmann::json;

// Reads one JSON object, checking types, and refuses keys nobody asked for.
class ObjectReader {
 public:
  ObjectReader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw FieldError(path_.empty() ? "body" : path_, "expected a JSON object");
  }
  const json* optional(const std::string& key) {
    seen_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  // A present-but-empty string is a value ("" is not "absent"): nullopt only when missing.
  std::optional<std::string> optional_string(const std::string& key) {
    const json* v = optional(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw FieldError(at(key), "expected a string");
    return v->get<std::string>();
  }
  std::string string(const std::string& key, bool required) {
    const json* v = optional(key);
    if (!v) {
      if (required) throw FieldError(at(key), "is required");
      return {};
    }
    if (!v->is_string()) throw FieldError(at(key), "expected a string");
    return v->get<std::string>();
  }
  std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void reject_unknown(const std::string& allowed) const {
    for (const auto& [key, value] : j_.items()) {
      if (!seen_.count(key)) throw FieldError(at(key), "unknown field", allowed);
    }
  }

 private:
  const json& j_;
  std::string path_;
  std::set<std::string> seen_;
};

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
    try {
      out.push_back(Cidr::parse((*v)[i].get<std::string>()));
    } catch (const std::invalid_argument& e) {
      throw FieldError(item, e.what(), "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/64");
    }
  }
  return out;
}

Match match_from_json(const json& j) {
  ObjectReader r(j, "match");
  Match m;
  m.to = cidrs_from_json(r.optional("to"), "match.to");
  m.from = cidrs_from_json(r.optional("from"), "match.from");
  if (auto p = r.optional_string("protocol")) m.protocol = protocol_from_string(*p);
  // Ports are read so that the validator can name them; see validate().
  for (const char* key : {"dport", "sport"}) {
    if (const json* v = r.optional(key)) {
      if (!v->is_number_unsigned() || v->get<std::uint64_t>() > 65535) {
        throw FieldError(r.at(key), "expected a port number", "0-65535");
      }
      const auto port = v->get<std::uint16_t>();
      (std::string_view(key) == "dport" ? m.dport : m.sport) = PortRange{port, port};
    }
  }
  r.reject_unknown("to, from, protocol, dport, sport");
  return m;
}

Impairments impairments_from_json(const json& j) {
  ObjectReader r(j, "impairments");
  Impairments imp;
  if (const json* cut = r.optional("cut")) {
    ObjectReader(*cut, "impairments.cut").reject_unknown("no fields: use {}");
    imp.cut = CutImpairment{};
  }
  r.reject_unknown("cut");
  return imp;
}

Lifetime lifetime_from_json(const json& j) {
  ObjectReader r(j, "lifetime");
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
  r.reject_unknown("duration_ms");
  return life;
}

std::map<std::string, std::string> labels_from_json(const json* v) {
  std::map<std::string, std::string> labels;
  if (!v) return labels;
  if (!v->is_object()) throw FieldError("labels", "expected an object of string values");
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) throw FieldError("labels." + key, "expected a string");
    labels[key] = value.get<std::string>();
  }
  return labels;
}

}  // namespace

FaultSpec fault_spec_from_json(const json& j) {
  ObjectReader r(j, "");
  FaultSpec spec;
  spec.device = r.string("device", true);
  const json* match = r.optional("match");
  if (!match) throw FieldError("match", "is required", "an object with to/from CIDR lists");
  spec.match = match_from_json(*match);
  if (auto d = r.optional_string("direction")) spec.direction = direction_from_string(*d);
  const json* imp = r.optional("impairments");
  if (!imp) throw FieldError("impairments", "is required", "an object such as {\"cut\": {}}");
  spec.impairments = impairments_from_json(*imp);
  if (const json* life = r.optional("lifetime")) spec.lifetime = lifetime_from_json(*life);
  spec.labels = labels_from_json(r.optional("labels"));
  r.reject_unknown("device, match, direction, impairments, lifetime, labels");
  return spec;
}

json to_json(const FaultSpec& spec) {
  auto cidrs = [](const std::vector<Cidr>& list) {
    json a = json::array();
    for (const auto& c : list) a.push_back(c.to_string());
    return a;
  };
  json match = {{"to", cidrs(spec.match.to)}, {"from", cidrs(spec.match.from)},
                {"protocol", to_string(spec.match.protocol)}};
  if (spec.match.dport) match["dport"] = spec.match.dport->first;
  if (spec.match.sport) match["sport"] = spec.match.sport->first;
  json imp = json::object();
  if (spec.impairments.cut) imp["cut"] = json::object();
  return {{"device", spec.device},
          {"match", match},
          {"direction", to_string(spec.direction)},
          {"impairments", imp},
          {"lifetime", {{"duration_ms", spec.lifetime.duration.count()}}},
          {"labels", spec.labels}};
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
