#pragma once
// Probes as the playbook would type them, for the probes' tests.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "injector/drill/probes.h"

namespace injector::drill::testing {

using std::chrono::milliseconds;

inline playbook::Probe http_probe(const std::string& url, milliseconds timeout = milliseconds(2000)) {
  playbook::Probe p;
  p.name = "http";
  p.timeout = timeout;
  playbook::HttpProbe h;
  h.call.url = url;
  p.check = h;
  return p;
}

inline playbook::HttpProbe& http_of(playbook::Probe& p) { return std::get<playbook::HttpProbe>(p.check); }

inline playbook::Probe command_probe(std::vector<std::string> argv, milliseconds timeout = milliseconds(5000)) {
  playbook::Probe p;
  p.name = "command";
  p.timeout = timeout;
  playbook::CommandProbe c;
  c.argv = std::move(argv);
  p.check = c;
  return p;
}

inline playbook::CommandProbe& command_of(playbook::Probe& p) { return std::get<playbook::CommandProbe>(p.check); }

inline playbook::Probe prometheus_probe(const std::string& url, const std::string& query, playbook::CompareOp op,
                                        double value, milliseconds timeout = milliseconds(2000)) {
  playbook::Probe p;
  p.name = "prometheus";
  p.timeout = timeout;
  p.check = playbook::PrometheusProbe{url, query, op, value};
  return p;
}

inline std::int64_t took_ms(const ProbeResult& r) { return (r.end_us - r.start_us) / 1000; }

}  // namespace injector::drill::testing
