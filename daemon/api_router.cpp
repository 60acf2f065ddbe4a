#include "daemon/api_router.h"

#include <charconv>

#include <spdlog/spdlog.h>

#include "common/duration.h"
#include "common/fault_json.h"
#include "daemon/nft/queue_rules.h"
#include "common/impairments_json.h"
#include "common/json_reader.h"
#include "daemon/tc/handles.h"
#include "common/version.h"
#include "common/strings.h"

namespace injector {
namespace {

using nlohmann::json;
constexpr std::string_view kFaultsPath = "/v1/faults";
constexpr std::string_view kLeaseSuffix = "/lease";  // POST /v1/faults/{id}/lease renews a held fault
constexpr std::string_view kPreparePath = "/v1/faults/prepare";  // POST: two-phase apply, first phase
constexpr std::string_view kCommitSuffix = "/commit";  // POST /v1/faults/{id}/commit: second phase
constexpr std::string_view kDevicesPrefix = "/v1/devices/";  // GET /v1/devices/{name}: does it exist here

// "/v1/faults/ID/SUFFIX" -> "ID"; empty when `rest` (the part after /v1/faults/) does not end so.
std::string id_before(const std::string& rest, std::string_view suffix) {
  if (!rest.ends_with(suffix) || rest.size() <= suffix.size()) return "";
  return rest.substr(0, rest.size() - suffix.size());
}

// Bad JSON throws json::parse_error, which guarded() answers as invalid_json.
FaultSpec spec_from_body(const http::Request& request) { return fault_spec_from_json(json::parse(request.body)); }

// Messages quote what the client sent; never let dump() throw on their bytes.
http::Response reply(int status, const json& body) {
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
}

http::Response method_not_allowed(const std::string& method, const std::string& allowed) {
  return reply(405, error_json("method_not_allowed", "method " + method + " is not allowed here", "method", allowed));
}


const char* leaf_kind_text(tc::LeafKind k) {
  switch (k) {
    case tc::LeafKind::blackhole: return "blackhole";
    case tc::LeafKind::netem: return "netem";
    case tc::LeafKind::fifo: break;
  }
  return "pfifo";
}

// What carries the fault out, in words: `backend` says "netem" for the whole
// traffic-control path, but a cut or a bandwidth cap uses no netem at all
// and works on kernels without it.
std::string served_by(const Fault& f) {
  if (f.backend == Backend::delayline) return "delay line (NFQUEUE)";
  std::string s = "traffic control (";
  if (f.spec.impairments.bandwidth) s += "HTB rate, ";
  return s + leaf_kind_text(f.plan.leaf) + " leaf)";
}

std::string handle_text(std::uint32_t h) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x:%x", h >> 16, h & 0xffff);
  return buf;
}

// Runs an API action and turns each kind of failure into its status code.
template <class Action>
http::Response guarded(Action action) {
  try {
    return action();
  } catch (const FieldError& e) {
    return reply(400, error_json("invalid_field", e));
  } catch (const nlohmann::json::exception& e) {
    return reply(400, error_json("invalid_json", e.what(), "body", "a JSON fault spec"));
  } catch (const ConflictError& e) {
    return reply(409, error_json("conflict", e.what(), "device"));
  } catch (const nft::ForeignTableError& e) {  // another tool's nf_tables table under our name
    return reply(409, error_json("conflict", e.what(), "backend"));
  } catch (const UnsupportedError& e) {
    return reply(422, error_json("unsupported_by_kernel", e.what(), "impairments"));
  } catch (const NotFoundError& e) {
    return reply(404, error_json("not_found", e.what(), "id"));
  } catch (const std::exception& e) {
    spdlog::error("request failed: {}", printable(e.what(), std::string_view::npos));
    return reply(500, error_json("kernel_error", e.what()));
  }
}

}  // namespace

namespace {

json queue_counters_json(const delayline::QueueCounters& c) {
  return {{"packets_seen", c.packets_seen},         {"bytes_seen", c.bytes_seen},
          {"packets_sent", c.packets_sent},         {"bytes_sent", c.bytes_sent},
          {"packets_dropped", c.packets_dropped},   {"packets_overflow", c.packets_overflow},
          {"packets_delayed", c.packets_delayed},   {"packets_duplicated", c.packets_duplicated},
          {"packets_corrupted", c.packets_corrupted}, {"packets_reordered", c.packets_reordered}};
}

}  // namespace

json ApiRouter::kernel_json(const Fault& f) const {
  if (f.backend == Backend::delayline) {
    json queues = json::array();
    for (const auto& p : f.placements) queues.push_back({{"side", to_string(p.side)}, {"nfqueue", p.queue}});
    return {{"device", f.spec.device}, {"ifindex", f.ifindex}, {"nft_table", nft::kTableName}, {"queues", queues}};
  }
  return {{"device", f.spec.device},
          {"ifindex", f.ifindex},
          {"root", handle_text(tc::root_handle())},
          {"class", handle_text(tc::slot_class(f.slot))},
          {"leaf", handle_text(f.leaf)},
          {"leaf_kind", leaf_kind_text(f.plan.leaf)},
          {"filter_rules", f.filter_rules}};
}

json ApiRouter::fault_json(const Fault& f) const {
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(f.deadline - engine_.now());
  const json kernel = kernel_json(f);
  json counters = json::object();
  try {
    if (f.backend == Backend::delayline) {
      counters = queue_counters_json(engine_.queue_counters(f));
    } else {
      const auto c = engine_.counters(f);
      counters = {{"packets_sent", c.packets_sent}, {"bytes_sent", c.bytes_sent}, {"packets_dropped", c.packets_dropped}};
    }
  } catch (const std::exception& e) {
    counters["error"] = e.what();
  }
  json out = {{"id", f.id},       {"state", !f.prepared ? "active" : f.commit_at ? "armed" : "prepared"}, {"backend", to_string(f.backend)},
          {"slot", f.slot},   {"spec", spec_as_json(f)},
          {"created_at", format_iso8601(f.created_at)}, {"created_by", f.created_by},
          {"expires_at", format_iso8601(f.expires_at)},
          {"expires_in_ms", std::max<std::int64_t>(0, remaining.count())},
          {"kernel", kernel}, {"counters", counters}, {"served_by", served_by(f)}};
  if (!f.prepared) {
    out["activated_at"] = format_iso8601(f.activated_at);
    out["activated_at_unix_us"] =
        std::chrono::duration_cast<std::chrono::microseconds>(f.activated_at.time_since_epoch()).count();
  }
  out["excluded"] = json::array();
  for (const auto& e : f.excluded) out["excluded"].push_back(to_json(e));
  if (f.lease_deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*f.lease_deadline - engine_.now());
    out["lease"] = {{"duration_ms", f.spec.lifetime.lease.count()},
                    {"expires_in_ms", std::max<std::int64_t>(0, left.count())}};
  }
  if (f.spec.impairments.flap) {
    const auto next = f.next_flap ? std::chrono::duration_cast<std::chrono::milliseconds>(*f.next_flap - engine_.now()) : std::chrono::milliseconds(0);
    out["flap"] = {{"link", f.flap_down ? "down" : "up"}, {"next_switch_in_ms", std::max<std::int64_t>(0, next.count())}};
  }
  return out;
}

// PATCH /v1/faults/{id}: {"impairments": {...}, "lifetime": {"duration_ms": N}}.
http::Response ApiRouter::update(const http::Request& request, const std::string& id) {
  if (!engine_.find(id)) throw NotFoundError("no fault with id " + quote_input(id));
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return reply(400, error_json("invalid_json", "request body is not valid JSON", "body", "{\"impairments\": {...}}"));
  }
  JsonObjectReader r(body, "");
  const json* imp = r.optional("impairments");
  if (!imp) throw FieldError("impairments", "is required", "the fault's new impairments, e.g. {\"delay\": {\"time_us\": 50000}}");
  std::optional<std::chrono::milliseconds> lifetime;
  if (const json* life = r.optional("lifetime")) {
    JsonObjectReader l(*life, "lifetime");
    lifetime = std::chrono::milliseconds(l.integer("duration_ms", 0, 0, std::numeric_limits<std::int64_t>::max()));
    l.reject_unknown("duration_ms");
  }
  r.reject_unknown("impairments, lifetime");
  return reply(200, fault_json(engine_.update(id, impairments_from_json(*imp), lifetime)));
}

json ApiRouter::capabilities_json() const {
  const auto& caps = engine_.config().capabilities;
  json features = json::object();
  if (caps) for (const auto& [name, ok] : caps->features) features[name] = ok;
  const bool netem = !caps || caps->has("sch_netem");
  const bool delayline = engine_.has_delay_line();
  const bool impairs = netem || delayline;
  return {{"probed", caps.has_value()},
          {"features", features},
          {"backends", {{"netem", netem}, {"delayline", delayline}}},
          {"directions",
           {{"egress", true},
            {"ingress", !caps || (caps->has("sch_ingress") && caps->has("ifb") && caps->has("act_mirred"))}}},
          {"impairments",
           {{"cut", !caps || caps->has("sch_blackhole")}, {"bandwidth", !caps || caps->has("sch_htb")},
            {"flap", !caps || caps->has("sch_blackhole")}, {"delay", impairs}, {"loss", impairs},
            {"duplicate", impairs}, {"corrupt", impairs}, {"reorder", impairs}}}};
}

http::Response ApiRouter::health() const {
  return reply(200, {{"status", "ok"},
                     {"capabilities", capabilities_json()},
                     {"version", kVersion},
                     {"api", kApiVersion},
                     {"faults_active", engine_.list().size()},
                     // CLOCK_REALTIME, so a drill can measure this host's offset
                     // before it trusts activation times from it.
                     {"now_unix_us", std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()},
                     {"classifier_switch", info_.classifier_switch},
                     {"limits",
                      {{"default_lifetime_ms", engine_.config().default_lifetime.count()},
                       {"max_lifetime_ms", engine_.config().max_lifetime.count()},
                       {"max_body_bytes", info_.max_body_bytes},
                       {"max_targets", SpecLimits::kMaxTargets}}}});
}

namespace {

std::string percent_decoded(std::string_view text, const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      unsigned value = 0;
      const auto* first = text.data() + i + 1;
      if (i + 2 >= text.size() || std::from_chars(first, first + 2, value, 16).ptr != first + 2) {
        throw FieldError(field, "bad percent-encoding", "%XX with two hex digits");
      }
      out += static_cast<char>(value);
      i += 2;
    }
  }
  return out;
}

// "?label=team%3Dpay&label=drill%3Dgd" -> {team: pay, drill: gd}. Every
// label must match; anything but `label` is refused, naming it.
std::map<std::string, std::string> label_filter(const std::string& target) {
  std::map<std::string, std::string> labels;
  const auto q = target.find('?');
  if (q == std::string::npos) return labels;
  std::string_view query(target);
  query.remove_prefix(q + 1);
  std::size_t count = 0;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (param.empty()) continue;
    const auto eq = param.find('=');
    const std::string name = percent_decoded(param.substr(0, eq), "query");
    if (name != "label" || eq == std::string_view::npos) {
      throw FieldError("query." + printable(name), "unknown query parameter", "label=KEY=VALUE (repeatable)");
    }
    if (++count > limits::kMaxLabelFilters) {
      throw FieldError("query.label", "more than " + std::to_string(limits::kMaxLabelFilters) + " label filters",
                       "at most " + std::to_string(limits::kMaxLabelFilters) + " label=KEY=VALUE parameters");
    }
    labels.insert(parse_label(percent_decoded(param.substr(eq + 1), "query.label")));
  }
  validate_labels(labels, "query.label");
  return labels;
}

}  // namespace

http::Response ApiRouter::faults(const http::Request& request) {
  const auto labels = label_filter(request.target);
  if (request.method == "GET") {
    json list = json::array();
    for (const Fault* f : engine_.list()) {
      if (has_labels(*f, labels)) list.push_back(fault_json(*f));
    }
    return reply(200, {{"faults", list}});
  }
  if (request.method == "POST") {
    const FaultSpec spec = spec_from_body(request);
    return applied(spec, engine_.apply(spec, request.peer.identity()));
  }
  if (request.method == "DELETE") return reply(200, {{"reverted", engine_.revert_labelled(labels)}});
  return method_not_allowed(request.method, "GET, POST, DELETE");
}

http::Response ApiRouter::applied(const FaultSpec& spec, const Fault& f) const {
  json answer = fault_json(f);
  auto warnings = local_side_warnings(spec, info_.host_addresses());
  for (auto& w : overlap_warnings(f, engine_.list())) warnings.push_back(std::move(w));
  answer["warnings"] = to_json(warnings);
  return reply(201, answer);
}

// POST /v1/faults/{id}/commit: now, or armed for {"at_unix_us": N} (CLOCK_REALTIME
// microseconds) within the prepare window; a time already past commits now.
http::Response ApiRouter::commit(const http::Request& request, const std::string& id) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return reply(200, fault_json(engine_.commit(id)));
  const json body = json::parse(request.body);
  JsonObjectReader r(body, "");
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  const auto window_us = std::chrono::duration_cast<std::chrono::microseconds>(FaultEngine::kPrepareWindow).count();
  const std::int64_t at_us = r.integer("at_unix_us", now_us, 0, now_us + window_us);
  r.reject_unknown("at_unix_us");
  const Fault& f = engine_.arm(id, engine_.now() + std::chrono::microseconds(at_us - now_us));
  return reply(f.prepared ? 202 : 200, fault_json(f));
}

http::Response ApiRouter::one_fault(const http::Request& request, const std::string& id) {
  if (request.method == "GET") {
    const Fault* f = engine_.find(id);
    if (!f) throw NotFoundError("no fault with id " + quote_input(id));
    return reply(200, fault_json(*f));
  }
  if (request.method == "DELETE") {
    engine_.revert(id);
    return reply(200, {{"reverted", json::array({id})}});
  }
  if (request.method == "PATCH") return update(request, id);
  return method_not_allowed(request.method, "GET, PATCH, DELETE");
}

http::Response ApiRouter::handle(const http::Request& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  return guarded([&] {
    if (path == "/v1/capabilities") {
      if (request.method != "GET") return method_not_allowed(request.method, "GET");
      return reply(200, capabilities_json());
    }
    if (path == "/v1/health" || path == "/v1/version") {
      if (request.method != "GET") return method_not_allowed(request.method, "GET");
      return path == "/v1/health" ? health() : reply(200, {{"version", kVersion}, {"api", kApiVersion}});
    }
    if (path == kFaultsPath) return faults(request);
    if (path.starts_with(kDevicesPrefix) && path.size() > kDevicesPrefix.size()) {
      if (request.method != "GET") return method_not_allowed(request.method, "GET");
      const std::string name = path.substr(kDevicesPrefix.size());
      if (!info_.device_exists(name)) {
        return reply(404, error_json("not_found", "no device '" + name.substr(0, 32) + "' in this daemon's network namespace", "device"));
      }
      return reply(200, {{"device", name}, {"exists", true}});
    }
    if (path == kPreparePath) {
      if (request.method != "POST") return method_not_allowed(request.method, "POST");
      const FaultSpec spec = spec_from_body(request);
      return applied(spec, engine_.prepare(spec, request.peer.identity()));
    }
    if (path.starts_with(std::string(kFaultsPath) + "/") && path.size() > kFaultsPath.size() + 1) {
      const std::string rest = path.substr(kFaultsPath.size() + 1);
      if (const auto id = id_before(rest, kLeaseSuffix); !id.empty()) {
        if (request.method != "POST") return method_not_allowed(request.method, "POST");
        if (!request.body.empty()) throw FieldError("body", "a lease renewal takes no body", "an empty body");
        return reply(200, fault_json(engine_.renew(id)));
      }
      if (const auto id = id_before(rest, kCommitSuffix); !id.empty()) {
        if (request.method != "POST") return method_not_allowed(request.method, "POST");
        return commit(request, id);
      }
      return one_fault(request, rest);
    }
    return reply(404, error_json("not_found", "no such endpoint: " + path, "path",
                                 "/v1/health, /v1/version, /v1/capabilities, /v1/faults, /v1/faults/{id}, "
                                 "/v1/faults/{id}/lease, /v1/faults/prepare, /v1/faults/{id}/commit, "
                                 "/v1/devices/{name}"));
  });
}

}  // namespace injector
