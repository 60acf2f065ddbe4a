#include "daemon/fault_engine.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <random>

#include "common/duration.h"
#include "common/fault_json.h"
#include "common/field_error.h"
#include "daemon/tc/handles.h"
#include "daemon/tc/u32_keys.h"
#include "common/strings.h"

namespace injector {

std::string new_fault_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "f-";
  std::uint64_t bits = rng();
  for (int i = 0; i < 12; ++i, bits >>= 4) id += kHex[bits & 0xf];
  return id;
}

std::vector<Direction> sides_of(Direction d) {
  if (d == Direction::both) return {Direction::egress, Direction::ingress};
  return {d};
}

FaultEngine::FaultEngine(tc::TcBackend& backend, Journal* journal, EngineConfig config, Clock clock)
    : backend_(backend), journal_(journal), config_(config), clock_(std::move(clock)) {
  devices_.set_exclusions(config_.control_exclusions);
}

std::chrono::milliseconds FaultEngine::resolve_lifetime(std::chrono::milliseconds asked) const {
  if (asked.count() == 0) return config_.default_lifetime;
  if (asked > config_.max_lifetime) {
    throw FieldError("lifetime.duration_ms",
                     format_duration(asked) + " is longer than this daemon's cap of " +
                         format_duration(config_.max_lifetime),
                     "1 to " + std::to_string(config_.max_lifetime.count()) + " ms");
  }
  return asked;
}

// Traffic-control slots are per device; delay-line slots name NFQUEUE
// numbers, which are per network namespace, so they are numbered apart.
int FaultEngine::allocate_slot(int ifindex, Backend backend) const {
  const int slot = tc::first_free_slot([&](int s) {
    for (const auto& [id, f] : faults_) {
      if (f.backend != backend || f.slot != s) continue;
      if (backend == Backend::delayline || f.ifindex == ifindex) return true;
    }
    return false;
  });
  if (slot == 0) {
    throw FieldError("device", "already carries " + std::to_string(tc::kMaxSlots) + " faults",
                     "revert some faults first");
  }
  return slot;
}

const Fault& FaultEngine::apply(FaultSpec spec, std::string created_by) {
  try {
    const Fault& f = apply_as(std::move(spec), new_fault_id(), std::nullopt, std::nullopt, std::move(created_by));
    ++stats_.applies;
    return f;
  } catch (...) {
    count_failure("apply");
    throw;
  }
}

// `remaining`, `lease_left`: a resumed fault keeps the rest of the lifetime and lease it had.
const Fault& FaultEngine::apply_as(FaultSpec spec, std::string id, std::optional<std::chrono::milliseconds> remaining,
                                   std::optional<std::chrono::milliseconds> lease_left, std::string created_by) {
  auto [fault, rules] = build(std::move(spec), std::move(id), remaining, lease_left);
  fault.created_by = std::move(created_by);
  const std::string fid = fault.id;
  install(std::move(fault), rules);
  const Fault& applied = faults_.at(fid);
  spdlog::info("applied fault {} on {} {} with {} (slot {}, {} filter rules, lifetime {})", fid, applied.spec.device,
               to_string(applied.spec.direction), to_string(applied.backend), applied.slot, applied.filter_rules,
               format_duration(applied.spec.lifetime.duration));
  return applied;
}

// Everything about a fault that can be decided before the kernel is touched.
std::pair<Fault, FaultEngine::SideRules> FaultEngine::build(FaultSpec spec, std::string id,
                                                            std::optional<std::chrono::milliseconds> remaining,
                                                            std::optional<std::chrono::milliseconds> lease_left) const {
  validate(spec);
  spec.lifetime.duration = resolve_lifetime(spec.lifetime.duration);
  SideRules rules;
  for (Direction side : sides_of(spec.direction)) {
    rules[side] = tc::rules_for_match(side == Direction::ingress ? tc::as_seen_on_ingress(spec.match) : spec.match);
  }
  const int ifindex = backend_.ifindex(spec.device);
  if (ifindex == 0) {
    throw FieldError("device", "no device named " + quote_input(spec.device) + " in the daemon's network namespace",
                     "an existing interface, e.g. eth0");
  }
  Fault fault;
  fault.id = std::move(id);
  fault.ifindex = ifindex;
  fault.backend = choose_backend(spec, ifindex);
  fault.slot = allocate_slot(ifindex, fault.backend);
  if (fault.backend == Backend::netem) {
    for (const auto& [side, list] : rules) fault.filter_rules += list.size();
  }
  if (spec.control_path == ControlPath::exclude) fault.excluded = config_.control_exclusions;
  fault.spec = std::move(spec);
  fault.spec_json = to_json(fault.spec);
  fault.flap_down = fault.spec.impairments.flap.has_value();  // a flap starts with the link down
  fault.plan = tc::plan_slot(fault.spec.impairments, fault.flap_down);
  fault.leaf = tc::slot_leaf_handle(fault.slot);
  start_lifetime(fault, remaining, lease_left);
  return {std::move(fault), std::move(rules)};
}

// From now: the lifetime, the lease and a flap's schedule.
void FaultEngine::start_lifetime(Fault& fault, std::optional<std::chrono::milliseconds> remaining,
                                 std::optional<std::chrono::milliseconds> lease_left) const {
  const auto lifetime = remaining.value_or(fault.spec.lifetime.duration);
  fault.activated_at = std::chrono::system_clock::now();
  if (!fault.prepared) fault.created_at = fault.activated_at;
  fault.expires_at = fault.activated_at + lifetime;
  fault.deadline = clock_() + lifetime;
  if (fault.spec.lifetime.lease.count() > 0) fault.lease_deadline = clock_() + lease_left.value_or(fault.spec.lifetime.lease);
  if (fault.spec.impairments.flap) {
    fault.flap_anchor = clock_();
    fault.next_flap = next_flap_time(fault);
  }
}

void FaultEngine::install(Fault fault, const std::map<Direction, std::vector<tc::U32Rule>>& rules) {
  const std::string id = fault.id;
  auto& f = faults_.emplace(id, std::move(fault)).first->second;
  record();  // intent first: a crash from here on leaves a journal that explains the kernel
  try {
    for (const auto& [side, list] : rules) place(f, side, list);
  } catch (...) {
    for (auto it = f.placements.rbegin(); it != f.placements.rend(); ++it) unplace(f, *it, /*quiet=*/true);
    faults_.erase(id);
    record();
    throw;
  }
  // And what now holds it. Only the placements differ from the intent record,
  // and resume after a reboot reads the spec, not placements (the kernel's
  // objects are gone by then): surviving a crash of the daemon is enough.
  record(Durability::daemon_crash);
}

void FaultEngine::place(Fault& f, Direction side, const std::vector<tc::U32Rule>& rules) {
  if (f.backend == Backend::delayline) {
    const Placement p{side, f.ifindex, delayline::queue_number(f.slot, side)};
    queues_->install({f.spec.device, side, f.spec.match, p.queue, f.spec.impairments, f.flap_down, f.excluded});
    f.placements.push_back(p);
    return;
  }
  const int where = devices_.acquire(f.ifindex, f.spec.device, side);
  f.placements.push_back({side, where, 0});
  backend_.install_fault(where, f.slot, f.plan, rules, f.ahead_of_exclusions());
}

void FaultEngine::unplace(Fault& f, const Placement& p, bool quiet) {
  if (f.backend == Backend::delayline) {
    if (!p.installed) return;
    try {
      queues_->remove(p.queue);
    } catch (const std::exception& e) {
      if (!quiet) throw;
      spdlog::error("fault {}: removing queue {} failed: {}", f.id, p.queue, e.what());
    }
    return;
  }
  devices_.release(f.ifindex, p.side, f.slot, f.ahead_of_exclusions(), quiet, p.installed);
}

void FaultEngine::uninstall(Fault& fault) {
  while (!fault.placements.empty()) {
    unplace(fault, fault.placements.back(), /*quiet=*/false);
    fault.placements.pop_back();
  }
}

void FaultEngine::revert(const std::string& id) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id " + quote_input(id));
  const TrafficTotals last = last_traffic(it->second);  // the leaf or queue that counted goes next
  try {
    uninstall(it->second);
  } catch (...) {
    count_failure("revert");
    throw;
  }
  retire(it->second, last);
  spdlog::info("reverted fault {} on {}", id, it->second.spec.device);
  faults_.erase(it);
  record();
}

// One fault that will not go must not keep the others in place: try every
// one, then report the first failure.
std::vector<std::string> FaultEngine::revert_all() { return revert_labelled({}); }

bool has_labels(const Fault& f, const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : labels) {
    auto it = f.spec.labels.find(key);
    if (it == f.spec.labels.end() || it->second != value) return false;
  }
  return true;
}

std::vector<std::string> FaultEngine::revert_labelled(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> ids, reverted;
  for (const auto& [id, f] : faults_) {
    if (has_labels(f, labels)) ids.push_back(id);
  }
  std::exception_ptr first_error;
  for (const auto& id : ids) {
    try {
      revert(id);
      reverted.push_back(id);
    } catch (const std::exception& e) {
      spdlog::error("reverting fault {} failed: {}", id, e.what());
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return reverted;
}

// Down for down_pct of the period, up for the rest. The schedule itself
// advances without jitter (so jitter never accumulates); each switch lands
// within +/- jitter of it, so a flap does not beat in step with a retry timer.
SteadyTime FaultEngine::next_flap_time(Fault& fault) const {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto& flap = *fault.spec.impairments.flap;
  const double share = (fault.flap_down ? flap.down_pct : 100 - flap.down_pct) / 100;
  fault.flap_anchor += std::chrono::round<std::chrono::milliseconds>(flap.period * share);
  std::chrono::milliseconds shift{0};
  if (flap.jitter.count() > 0) {
    std::uniform_int_distribution<std::int64_t> pick(-flap.jitter.count(), flap.jitter.count());
    shift = std::chrono::milliseconds(pick(rng));
  }
  return std::max(fault.flap_anchor + shift, clock_() + std::chrono::milliseconds(1));
}

// The kernel call, plus keeping the counts of a leaf that is about to be replaced.
void FaultEngine::change_slot(Fault& fault, const tc::SlotPlan& next) {
  const tc::FaultCounters before = leaf_counters(fault);
  std::uint32_t leaf = fault.leaf;
  // Each side holds the same slot and leaf handle, so each changes the same way;
  // if one side refuses, the sides already changed go back, so none is out of step.
  std::size_t done = 0;
  try {
    for (; done < fault.placements.size(); ++done) {
      leaf = backend_.change_fault(fault.placements[done].ifindex, fault.slot, fault.plan, fault.leaf, next);
    }
  } catch (...) {
    for (std::size_t i = 0; i < done; ++i) {
      try {
        backend_.change_fault(fault.placements[i].ifindex, fault.slot, next, leaf, fault.plan);
      } catch (const std::exception& e) {
        spdlog::error("fault {}: could not undo a partial change: {}", fault.id, e.what());
      }
    }
    throw;
  }
  if (leaf != fault.leaf) {  // a new leaf starts from zero: keep what the old one counted
    fault.retired.packets_sent += before.packets_sent;
    fault.retired.bytes_sent += before.bytes_sent;
    fault.retired.packets_dropped += before.packets_dropped;
  }
  fault.leaf = leaf;
  fault.plan = next;
}

// Every side's queue takes the change; a side that refuses leaves the
// others changed, which the next change (or the revert) settles.
void FaultEngine::change_queues(Fault& f, const Impairments& impairments, bool down) {
  for (const auto& p : f.placements) queues_->change(p.queue, impairments, down);
}

void FaultEngine::switch_flap(Fault& fault) {
  const bool down = !fault.flap_down;
  const tc::SlotPlan next = tc::plan_slot(fault.spec.impairments, down);
  try {
    if (fault.backend == Backend::delayline) {
      change_queues(fault, fault.spec.impairments, down);
    } else {
      change_slot(fault, next);
    }
    fault.flap_down = down;
  } catch (const std::exception& e) {
    // Keep the schedule: the next switch tries again from the state we are in.
    spdlog::error("flap of fault {} failed to switch {}: {}", fault.id, down ? "down" : "up", e.what());
  }
  fault.next_flap = next_flap_time(fault);
}

const Fault& FaultEngine::update(const std::string& id, const Impairments& impairments,
                                 std::optional<std::chrono::milliseconds> lifetime) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id " + quote_input(id));
  Fault& f = it->second;
  if (f.prepared) throw ConflictError("fault " + id + " is prepared, not active: commit it before changing it");
  FaultSpec spec = f.spec;
  spec.impairments = impairments;
  if (lifetime) spec.lifetime.duration = *lifetime;
  validate(spec);
  if (lifetime) spec.lifetime.duration = resolve_lifetime(*lifetime);
  const bool flap_down = impairments.flap && (f.spec.impairments.flap ? f.flap_down : true);
  const tc::SlotPlan next = tc::plan_slot(impairments, flap_down);
  if (f.backend == Backend::delayline) {
    require_delay_line(spec);
    change_queues(f, impairments, flap_down);
  } else {
    require_kernel_features(tc::plan_slot(impairments, false), f.spec.direction);
    require_kernel_features(next, f.spec.direction);
    if (auto other = netem_mix_conflict(f.ifindex, f.spec.direction, impairments, id)) {
      throw ConflictError("the kernel refuses a duplicating netem next to any other netem on the same device, and " +
                          *other + " already holds a netem on it; revert it first");
    }
    change_slot(f, next);
  }
  const bool flap_added = impairments.flap && !f.spec.impairments.flap;
  f.spec = std::move(spec);
  f.spec_json = to_json(f.spec);
  f.flap_down = flap_down;
  if (!impairments.flap) {
    f.next_flap.reset();
  } else if (flap_added) {
    f.flap_anchor = clock_();
    f.next_flap = next_flap_time(f);
  }
  if (lifetime) {
    f.deadline = clock_() + f.spec.lifetime.duration;
    f.expires_at = std::chrono::system_clock::now() + f.spec.lifetime.duration;
  }
  record();
  spdlog::info("updated fault {} in place", id);
  return f;
}

const Fault* FaultEngine::find(const std::string& id) const {
  auto it = faults_.find(id);
  return it == faults_.end() ? nullptr : &it->second;
}

std::vector<const Fault*> FaultEngine::list() const {
  std::vector<const Fault*> out;
  for (const auto& [id, f] : faults_) out.push_back(&f);
  return out;
}

}  // namespace injector
