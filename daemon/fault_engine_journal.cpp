// The fault engine's journal side: what a previous run left (cleanup), what
// it held and may go on holding (resume), and the record written before and
// after every kernel change.

#include <spdlog/spdlog.h>

#include "common/duration.h"
#include "common/fault_json.h"
#include "daemon/fault_engine.h"

namespace injector {

std::vector<int> FaultEngine::cleanup_leftovers() {
  // Ingress first: removing an ifb takes its root with it.
  std::vector<int> cleaned = backend_.devices_with_our_ifb();
  for (int ifindex : cleaned) {
    spdlog::warn("removing the ingress redirect and ifb left by a previous run on ifindex {}", ifindex);
    backend_.remove_ingress(ifindex);
  }
  for (int ifindex : backend_.devices_with_our_root()) {
    spdlog::warn("removing traffic control left by a previous run on ifindex {}", ifindex);
    backend_.remove_root(ifindex);
    cleaned.push_back(ifindex);
  }
  if (queues_ && queues_->has_leftovers()) {
    spdlog::warn("removing the delay line's nf_tables rules left by a previous run");
    queues_->remove_leftovers();
  }
  record();
  return cleaned;
}

std::vector<std::string> FaultEngine::resume(const nlohmann::json& saved) {
  std::vector<std::string> resumed;
  if (!saved.contains("faults") || !saved["faults"].is_array()) return resumed;
  const auto now = std::chrono::system_clock::now();
  for (const auto& entry : saved["faults"]) {
    const std::string id = entry.value("id", "");
    if (entry.value("prepared", false)) {
      spdlog::info("not resuming fault {}: it was prepared but never committed", id);
      continue;
    }
    try {
      const std::chrono::system_clock::time_point expires{
          std::chrono::milliseconds(entry.at("expires_at_unix_ms").get<std::int64_t>())};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(expires - now);
      if (left.count() <= 0) {
        spdlog::info("not resuming fault {}: its lifetime ended while the daemon was down", id);
        continue;
      }
      std::optional<std::chrono::milliseconds> lease_left;
      if (entry.contains("lease_expires_at_unix_ms")) {
        const std::chrono::system_clock::time_point lease_end{
            std::chrono::milliseconds(entry["lease_expires_at_unix_ms"].get<std::int64_t>())};
        lease_left = std::chrono::duration_cast<std::chrono::milliseconds>(lease_end - now);
        if (lease_left->count() <= 0) {
          spdlog::info("not resuming fault {}: its lease ended while the daemon was down", id);
          continue;
        }
      }
      apply_as(fault_spec_from_json(entry.at("spec")), id, left, lease_left, entry.value("created_by", ""));
      resumed.push_back(id);
      spdlog::info("resumed fault {} for the {} left of its lifetime", id, format_duration(left));
    } catch (const std::exception& e) {
      spdlog::error("could not resume fault {}: {}", id, e.what());
    }
  }
  return resumed;
}

nlohmann::json spec_as_json(const Fault& f) { return f.spec_json.is_null() ? to_json(f.spec) : f.spec_json; }

void FaultEngine::record(Durability durability) {
  if (!journal_) return;
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& [id, f] : faults_) {
    nlohmann::json placed = nlohmann::json::array();
    for (const auto& p : f.placements) {
      placed.push_back({{"side", to_string(p.side)}, {"ifindex", p.ifindex}, {"queue", p.queue}});
    }
    nlohmann::json entry = {{"id", id}, {"ifindex", f.ifindex}, {"slot", f.slot}, {"backend", to_string(f.backend)},
                      {"spec", spec_as_json(f)},
                      {"created_by", f.created_by},
                      {"placements", placed},
                      {"expires_at_unix_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 f.expires_at.time_since_epoch()).count()}};
    if (f.prepared) entry["prepared"] = true;
    if (f.lease_deadline) {
      const auto lease_end = std::chrono::system_clock::now() + (*f.lease_deadline - clock_());
      entry["lease_expires_at_unix_ms"] =
          std::chrono::duration_cast<std::chrono::milliseconds>(lease_end.time_since_epoch()).count();
    }
    faults.push_back(std::move(entry));
  }
  journal_->save({{"version", 1}, {"faults", faults}, {"devices", devices_.to_json()}}, durability);
}

}  // namespace injector
