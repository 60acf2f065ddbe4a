// Two-phase apply for fleet operations: prepare everywhere, then commit
// everywhere, so the kernel changes of a whole fleet land close together.
// Commit is one netlink batch (class, leaf, filters) or one nf_tables
// transaction; everything slower happened in prepare.

#include <spdlog/spdlog.h>

#include "common/duration.h"
#include "daemon/fault_engine.h"
#include "common/strings.h"

namespace injector {

const Fault& FaultEngine::prepare(FaultSpec spec, std::string created_by) {
  auto [fault, rules] = build(std::move(spec), new_fault_id(), std::nullopt, std::nullopt);
  fault.created_by = std::move(created_by);
  fault.prepared = true;
  fault.pending_rules = std::move(rules);
  // Until commit the fault lives only for the prepare window (or its lease, if shorter).
  fault.deadline = clock_() + kPrepareWindow;
  fault.next_flap.reset();  // a flap's schedule starts at commit
  const std::string id = fault.id;
  auto& f = faults_.emplace(id, std::move(fault)).first->second;
  record();  // intent first, as in install()
  try {
    for (Direction side : sides_of(f.spec.direction)) stage(f, side);
  } catch (...) {
    for (auto it = f.placements.rbegin(); it != f.placements.rend(); ++it) unplace(f, *it, /*quiet=*/true);
    faults_.erase(id);
    record();
    throw;
  }
  record(Durability::daemon_crash);  // only placements changed: see install()
  spdlog::info("prepared fault {} on {} {} with {} (slot {})", id, f.spec.device, to_string(f.spec.direction),
               to_string(f.backend), f.slot);
  return f;
}

// The device side a commit will install into: our root, or ifb and redirect.
void FaultEngine::stage(Fault& f, Direction side) {
  if (f.backend == Backend::delayline) {
    f.placements.push_back({side, f.ifindex, delayline::queue_number(f.slot, side), /*installed=*/false});
    return;
  }
  const int where = devices_.acquire(f.ifindex, f.spec.device, side);
  f.placements.push_back({side, where, 0, /*installed=*/false});
}

const Fault& FaultEngine::arm(const std::string& id, SteadyTime at) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id " + quote_input(id));
  if (!it->second.prepared) throw ConflictError("fault " + id + " is already active (commit it once)");
  if (at <= clock_()) return commit(id);
  it->second.commit_at = at;
  return it->second;
}

const Fault& FaultEngine::commit(const std::string& id) {
  const Fault& f = commit_now(id);
  record();  // after the kernel change, so the journal's write does not delay it
  return f;
}

const Fault& FaultEngine::commit_now(const std::string& id) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id " + quote_input(id));
  Fault& f = it->second;
  if (!f.prepared) throw ConflictError("fault " + id + " is already active (commit it once)");
  try {
    for (auto& p : f.placements) {
      if (f.backend == Backend::delayline) {
        queues_->install({f.spec.device, p.side, f.spec.match, p.queue, f.spec.impairments, f.flap_down, f.excluded});
      } else {
        backend_.install_fault(p.ifindex, f.slot, f.plan, f.pending_rules.at(p.side), f.ahead_of_exclusions());
      }
      p.installed = true;
    }
  } catch (...) {
    // A fault that is half in the kernel is worse than none: take it out whole.
    count_failure("commit");
    revert(id);
    throw;
  }
  ++stats_.applies;
  f.prepared = false;
  f.pending_rules.clear();
  f.commit_at.reset();
  start_lifetime(f, std::nullopt, std::nullopt);
  spdlog::info("committed fault {} on {} (lifetime {})", id, f.spec.device, format_duration(f.spec.lifetime.duration));
  return f;
}

}  // namespace injector
