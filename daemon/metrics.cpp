#include "daemon/metrics.h"

#include <array>
#include <spdlog/spdlog.h>

#include "common/fault_json.h"
#include "common/version.h"

namespace injector::metrics {
namespace {

struct FaultTraffic {
  const Fault* fault;
  TrafficTotals traffic;
};

// Counters read from the kernel or the delay line now; a fault whose counters
// cannot be read is left out of this scrape rather than failing all of it.
std::vector<FaultTraffic> read_traffic(const FaultEngine& engine) {
  std::vector<FaultTraffic> out;
  for (const Fault* f : engine.list()) {
    try {
      out.push_back({f, engine.traffic(*f)});
    } catch (const std::exception& e) {
      spdlog::warn("metrics: counters of fault {} unreadable: {}", f->id, e.what());
    }
  }
  return out;
}

Labels fault_labels(const Fault& f) {
  return {{"fault", f.id}, {"device", f.spec.device}, {"kind", fault_kind(f.spec.impairments)},
          {"backend", std::string(to_string(f.backend))}};
}

void render_faults(Writer& w, const FaultEngine& engine) {
  const auto faults = engine.list();
  w.family("injector_faults_active", "gauge", "Faults in force now.");
  w.sample(faults.size());
  std::map<std::pair<std::string, std::string>, std::uint64_t> by_kind;
  for (const Fault* f : faults) ++by_kind[{fault_kind(f->spec.impairments), std::string(to_string(f->backend))}];
  w.family("injector_faults_active_by_kind", "gauge", "Faults in force now, by impairments and backend.");
  for (const auto& [key, n] : by_kind) w.sample({{"kind", key.first}, {"backend", key.second}}, n);
}

void render_lifecycle(Writer& w, const FaultEngine& engine) {
  const EngineStats& s = engine.stats();
  w.family("injector_fault_applies_total", "counter", "Faults applied on request since the daemon started.");
  w.sample(s.applies);
  w.family("injector_fault_reverts_total", "counter", "Faults reverted (on request, expired or at shutdown).");
  w.sample(s.reverts);
  w.family("injector_lifetime_expiries_total", "counter", "Faults reverted because their lifetime ended.");
  w.sample(s.lifetime_expiries);
  w.family("injector_lease_expiries_total", "counter", "Held faults reverted because their lease was not renewed.");
  w.sample(engine.lease_expiries());
  // Seeded so that a failure's first occurrence is a rise from 0, not a new series.
  std::map<std::pair<std::string, std::string>, std::uint64_t> failures{{{"apply", "kernel"}, 0},
                                                                        {{"revert", "kernel"}, 0}};
  for (const auto& [key, n] : s.failures) failures[key] = n;
  w.family("injector_fault_failures_total", "counter", "Applies and reverts that failed, by reason.");
  for (const auto& [key, n] : failures) w.sample({{"operation", key.first}, {"reason", key.second}}, n);
}

void render_traffic(Writer& w, const FaultEngine& engine) {
  const auto live = read_traffic(engine);
  using Field = std::uint64_t TrafficTotals::*;
  struct Family {
    const char* name;
    Field field;
    const char* help;
  };
  const std::array<Family, 4> families{{
      {"packets_sent", &TrafficTotals::packets_sent, "Packets a fault matched and passed on."},
      {"bytes_sent", &TrafficTotals::bytes_sent, "Bytes a fault matched and passed on."},
      {"packets_dropped", &TrafficTotals::packets_dropped, "Packets a fault dropped (cut, flap, loss, full queue)."},
      {"packets_delayed", &TrafficTotals::packets_delayed, "Packets the delay line released late (netem does not count them)."},
  }};
  std::map<std::pair<std::string, std::string>, TrafficTotals> totals = engine.stats().retired;
  for (const auto& [f, t] : live) totals[{f->spec.device, std::string(to_string(f->backend))}] += t;
  for (const auto& fam : families) {
    const bool delayed = fam.field == &TrafficTotals::packets_delayed;
    w.family(std::string("injector_fault_") + fam.name + "_total", "counter",
             std::string(fam.help) + " Per fault in force.");
    for (const auto& [f, t] : live) {
      if (!delayed || f->backend == Backend::delayline) w.sample(fault_labels(*f), t.*fam.field);
    }
    w.family(std::string("injector_") + fam.name + "_total", "counter",
             std::string(fam.help) + " Every fault since the daemon started, reverted ones included.");
    for (const auto& [key, t] : totals) {
      if (!delayed || key.second == "delayline") w.sample({{"device", key.first}, {"backend", key.second}}, t.*fam.field);
    }
  }
}

void render_requests(Writer& w, const RequestCounts& requests) {
  w.family("injector_api_requests_total", "counter", "API calls answered, by method and HTTP status.");
  for (const auto& [key, n] : requests) w.sample({{"method", key.first}, {"code", std::to_string(key.second)}}, n);
}

// Connections the caps turned away or timed out, per listener: what a flood
// of unauthenticated peers costs shows here, not only in the (limited) log.
void render_connections(Writer& w, const ListenerStats& listeners) {
  using http::Refusal;
  w.family("injector_connections_open", "gauge",
           "Connections open now, by listener and state (pending: no TLS handshake, or on the Unix socket no "
           "request head, yet).");
  for (const auto& [name, s] : listeners) {
    w.sample({{"listener", name}, {"state", "pending"}}, s->pending);
    w.sample({{"listener", name}, {"state", "authenticated"}}, s->authenticated);
  }
  w.family("injector_connections_refused_total", "counter",
           "Connections closed at accept or after the handshake because a cap was full, by listener and cap.");
  for (const auto& [name, s] : listeners) {
    const std::pair<Refusal, std::uint64_t> by_reason[] = {{Refusal::pending_cap, s->refused_pending_cap},
                                                           {Refusal::pending_per_source_cap, s->refused_pending_per_source_cap},
                                                           {Refusal::connection_cap, s->refused_connection_cap}};
    for (const auto& [why, n] : by_reason) w.sample({{"listener", name}, {"reason", std::string(to_string(why))}}, n);
  }
  w.family("injector_handshake_timeouts_total", "counter",
           "Pending connections closed by the handshake timeout (Unix socket: no request head in time), by listener.");
  for (const auto& [name, s] : listeners) w.sample({{"listener", name}}, s->handshake_timeouts);
  w.family("injector_tls_handshake_failures_total", "counter",
           "TLS handshakes that failed: no or an unverifiable client certificate, or not TLS at all.");
  for (const auto& [name, s] : listeners) {
    if (name == "tls") w.sample(s->handshake_failures);
  }
}

// Methods outside HTTP's usual set are one label value, so a caller cannot
// grow the series without bound.
std::string method_label(const std::string& method) {
  static constexpr std::array<std::string_view, 7> kKnown{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (auto m : kKnown) {
    if (m == method) return method;
  }
  return "other";
}

http::Response answer(const FaultEngine& engine, const http::Handler& api, const RequestCounts& counts,
                      const ListenerStats& listeners, const http::Request& req) {
  if (req.target.substr(0, req.target.find('?')) != kPath) return api(req);
  if (req.method != "GET") {
    return {405, error_json("method_not_allowed", "method " + req.method + " is not allowed here", "method", "GET").dump() + "\n"};
  }
  return {200, render(engine, counts, listeners), std::string(kContentType)};
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Writer::family(std::string_view name, std::string_view type, std::string_view help) {
  name_ = name;
  out_ += "# HELP " + name_ + " " + escape_help(help) + "\n";
  out_ += "# TYPE " + name_ + " " + std::string(type) + "\n";
}

void Writer::sample(const Labels& labels, std::uint64_t value) {
  out_ += name_;
  if (!labels.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
    }
    out_ += '}';
  }
  out_ += ' ' + std::to_string(value) + '\n';
}

std::string render(const FaultEngine& engine, const RequestCounts& requests, const ListenerStats& listeners) {
  Writer w;
  w.family("injector_build_info", "gauge", "The daemon's version; always 1.");
  w.sample({{"version", kVersion}, {"api", kApiVersion}}, 1);
  render_faults(w, engine);
  render_lifecycle(w, engine);
  render_traffic(w, engine);
  render_requests(w, requests);
  render_connections(w, listeners);
  return w.text();
}

http::Handler serve_metrics(const FaultEngine& engine, http::Handler api, ListenerStats listeners) {
  auto counts = std::make_shared<RequestCounts>();
  return [&engine, api = std::move(api), counts, listeners = std::move(listeners)](const http::Request& req) {
    http::Response res = answer(engine, api, *counts, listeners, req);
    ++(*counts)[{method_label(req.method), res.status}];
    return res;
  };
}

}  // namespace injector::metrics
