#pragma once
// GET /metrics: the daemon's state in the Prometheus text exposition format
// (version 0.0.4), rendered from the fault engine on every scrape. Served
// behind the same authorization gate as the API. See docs/api.md.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/fault_engine.h"
#include "daemon/http/connection_caps.h"
#include "daemon/http/http_server.h"

namespace injector::metrics {

inline constexpr std::string_view kPath = "/metrics";
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value as the exposition format wants it: \ " and newline escaped.
std::string escape_label_value(std::string_view value);
// HELP text: \ and newline escaped (quotes stay).
std::string escape_help(std::string_view text);

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes metric families: one HELP and TYPE line each, then its samples.
class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(const Labels& labels, std::uint64_t value);  // for the family last opened
  void sample(std::uint64_t value) { sample({}, value); }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
  std::string name_;
};

// API calls answered, by method and status code (past the gate: its 403s are in the audit log).
using RequestCounts = std::map<std::pair<std::string, int>, std::uint64_t>;

// Each listener's connection figures ("unix", "tls"), read at every scrape.
using ListenerStats = std::vector<std::pair<std::string, std::shared_ptr<const http::ConnectionStats>>>;

std::string render(const FaultEngine& engine, const RequestCounts& requests, const ListenerStats& listeners = {});

// The handler in front of the API router: serves GET /metrics itself, passes
// everything else to `api`, and counts every answer by method and status.
http::Handler serve_metrics(const FaultEngine& engine, http::Handler api, ListenerStats listeners = {});

}  // namespace injector::metrics
