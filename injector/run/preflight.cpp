#include "injector/run/preflight.h"

#include <cstdlib>

namespace injector::run {
namespace {

std::string describe_fault(const nlohmann::json& f) {
  std::string labels;
  const nlohmann::json spec = f.value("spec", nlohmann::json::object());
  if (spec.contains("labels") && spec["labels"].is_object()) {
    for (const auto& [k, v] : spec["labels"].items()) {
      labels += (labels.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  return f.value("id", "?") + " (" + (labels.empty() ? "no labels" : labels) + ")";
}

// The offset is only known within half the round trip; a host is refused
// only when even the most favourable reading is too far.
void check_clock(HostPreflight& h, const fleet::HostResult& r, std::chrono::milliseconds max_offset) {
  if (!r.body.contains("now_unix_us") || !r.body["now_unix_us"].is_number_integer()) {
    h.problem = "does not report its clock (GET /v1/health has no now_unix_us: an older injectord?)";
    return;
  }
  h.round_trip_us = fleet::unix_us(r.answered) - fleet::unix_us(r.sent);
  const std::int64_t middle = fleet::unix_us(r.sent) + h.round_trip_us / 2;
  h.clock_offset_us = r.body["now_unix_us"].get<std::int64_t>() - middle;
  const std::int64_t limit = std::chrono::microseconds(max_offset).count() + h.round_trip_us / 2;
  if (std::llabs(*h.clock_offset_us) > limit) {
    h.problem = "its clock is " + std::to_string(*h.clock_offset_us / 1000) + " ms from this one's (allowed: " +
                std::to_string(max_offset.count()) + " ms, safety.max_clock_offset)";
  }
}

}  // namespace

PreflightResult preflight(const fleet::Inventory& inv, const playbook::Safety& safety, bool force,
                          const fleet::CallOptions& calls) {
  PreflightResult out;
  const auto health = fleet::call_each(inv, "GET", "/v1/health", calls);
  const auto faults = fleet::call_each(inv, "GET", "/v1/faults", calls);
  for (std::size_t i = 0; i < health.size(); ++i) {
    HostPreflight h;
    h.host = health[i].host;
    h.answered = health[i].ok();
    if (!h.answered) {
      h.problem = "did not answer: " + (health[i].error.empty() ? "HTTP " + std::to_string(health[i].status) : health[i].error);
    } else {
      check_clock(h, health[i], safety.max_clock_offset);
    }
    if (faults[i].ok() && faults[i].body.contains("faults")) {
      for (const auto& f : faults[i].body["faults"]) h.foreign.push_back(describe_fault(f));
    }
    if (!h.foreign.empty() && !force && !safety.allow_foreign_faults && h.problem.empty()) {
      h.problem = "holds " + std::to_string(h.foreign.size()) + " fault(s) that are not this drill's: " + h.foreign.front() +
                  (h.foreign.size() > 1 ? " and more" : "") + " (revert them, or run with --force to drill on top of them)";
    }
    if (!h.problem.empty()) out.problems.push_back(h.host->name + ": " + h.problem);
    out.hosts.push_back(std::move(h));
  }
  return out;
}

nlohmann::json PreflightResult::to_json() const {
  nlohmann::json hosts_json = nlohmann::json::array();
  for (const auto& h : hosts) {
    hosts_json.push_back({{"host", h.host->name},
                          {"answered", h.answered},
                          {"clock_offset_ms", h.clock_offset_us ? nlohmann::json(static_cast<double>(*h.clock_offset_us) / 1000.0) : nlohmann::json()},
                          {"round_trip_ms", static_cast<double>(h.round_trip_us) / 1000.0},
                          {"foreign_faults", h.foreign},
                          {"problem", h.problem}});
  }
  return {{"ok", ok()}, {"problems", problems}, {"hosts", hosts_json}};
}

}  // namespace injector::run
