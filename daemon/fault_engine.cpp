#include "daemon/fault_engine.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <random>

#include "common/duration.h"
#include "common/fault_json.h"
#include "common/field_error.h"
#include "daemon/tc/handles.h"
#include "daemon/tc/u32_keys.h"

namespace injector {
namespace {

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

}  // namespace

FaultEngine::FaultEngine(tc::TcBackend& backend, Journal* journal, EngineConfig config, Clock clock)
    : backend_(backend), journal_(journal), config_(config), clock_(std::move(clock)) {}

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
      apply_as(fault_spec_from_json(entry.at("spec")), id, left, lease_left);
      resumed.push_back(id);
      spdlog::info("resumed fault {} for the {} left of its lifetime", id, format_duration(left));
    } catch (const std::exception& e) {
      spdlog::error("could not resume fault {}: {}", id, e.what());
    }
  }
  return resumed;
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

bool FaultEngine::has_delay_line() const {
  if (!queues_) return false;
  if (!config_.capabilities) return true;
  return config_.capabilities->has("nfnetlink_queue") && config_.capabilities->has("nft_compat");
}

// auto: netem where the kernel has it and allows the combination; the delay
// line where it does not; traffic control alone for what needs no netem.
Backend FaultEngine::choose_backend(const FaultSpec& spec, int ifindex) const {
  const Impairments& imp = spec.impairments;
  const bool want_netem = spec.backend == Backend::netem;
  if (spec.backend == Backend::delayline) {
    require_delay_line(spec);
    return Backend::delayline;
  }
  const bool kernel_netem = !config_.capabilities || config_.capabilities->has("sch_netem");
  if (!want_netem && imp.needs_netem() && has_delay_line()) {
    if (!kernel_netem) return (require_delay_line(spec), Backend::delayline);
    if (netem_mix_conflict(ifindex, spec.direction, imp, "")) return (require_delay_line(spec), Backend::delayline);
  }
  require_kernel_features(tc::plan_slot(imp, false), spec.direction);
  require_kernel_features(tc::plan_slot(imp, imp.flap.has_value()), spec.direction);
  if (auto other = netem_mix_conflict(ifindex, spec.direction, imp, "")) {
    throw ConflictError("the kernel refuses a duplicating netem next to any other netem on the same device, and " +
                        *other + " already holds a netem on it; revert it, apply the two faults on different " +
                        "devices, or use --backend delayline");
  }
  return Backend::netem;
}

void FaultEngine::require_delay_line(const FaultSpec& spec) const {
  if (!has_delay_line()) {
    throw UnsupportedError(
        "the delay line needs nfnetlink_queue and the xtables NFQUEUE target through nf_tables (nft_compat), "
        "which this kernel lacks (see `injector capabilities`)");
  }
  if (spec.impairments.duplicate && spec.direction != Direction::egress) {
    throw UnsupportedError(
        "the delay line duplicates on egress only: a copy can be sent out, not received; use --direction egress "
        "or the netem backend");
  }
}

const Fault& FaultEngine::apply(FaultSpec spec) {
  return apply_as(std::move(spec), new_fault_id(), std::nullopt, std::nullopt);
}

// `remaining`, `lease_left`: a resumed fault keeps the rest of the lifetime and lease it had.
const Fault& FaultEngine::apply_as(FaultSpec spec, std::string id, std::optional<std::chrono::milliseconds> remaining,
                                   std::optional<std::chrono::milliseconds> lease_left) {
  validate(spec);
  spec.lifetime.duration = resolve_lifetime(spec.lifetime.duration);
  std::map<Direction, std::vector<tc::U32Rule>> rules;
  for (Direction side : sides_of(spec.direction)) {
    rules[side] = tc::rules_for_match(side == Direction::ingress ? tc::as_seen_on_ingress(spec.match) : spec.match);
  }
  const int ifindex = backend_.ifindex(spec.device);
  if (ifindex == 0) {
    throw FieldError("device", "no device named '" + spec.device + "' in the daemon's network namespace",
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
  const auto lifetime = remaining.value_or(spec.lifetime.duration);
  fault.created_at = std::chrono::system_clock::now();
  fault.expires_at = fault.created_at + lifetime;
  fault.deadline = clock_() + lifetime;
  if (spec.lifetime.lease.count() > 0) fault.lease_deadline = clock_() + lease_left.value_or(spec.lifetime.lease);
  fault.flap_down = spec.impairments.flap.has_value();  // a flap starts with the link down
  fault.plan = tc::plan_slot(spec.impairments, fault.flap_down);
  fault.leaf = tc::slot_leaf_handle(fault.slot);
  fault.spec = std::move(spec);
  if (fault.flap_down) {
    fault.flap_anchor = clock_();
    fault.next_flap = next_flap_time(fault);
  }
  const std::string fid = fault.id;
  install(std::move(fault), rules);
  const Fault& applied = faults_.at(fid);
  spdlog::info("applied fault {} on {} {} with {} (slot {}, {} filter rules, lifetime {})", fid, applied.spec.device,
               to_string(applied.spec.direction), to_string(applied.backend), applied.slot, applied.filter_rules,
               format_duration(lifetime));
  return applied;
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
  record();  // and what now holds it
}

void FaultEngine::place(Fault& f, Direction side, const std::vector<tc::U32Rule>& rules) {
  if (f.backend == Backend::delayline) {
    const Placement p{side, f.ifindex, delayline::queue_number(f.slot, side)};
    queues_->install({f.spec.device, side, f.spec.match, p.queue, f.spec.impairments, f.flap_down});
    f.placements.push_back(p);
    return;
  }
  const int where = devices_.acquire(f.ifindex, f.spec.device, side);
  f.placements.push_back({side, where, 0});
  backend_.install_fault(where, f.slot, f.plan, rules);
}

void FaultEngine::unplace(Fault& f, const Placement& p, bool quiet) {
  if (f.backend == Backend::delayline) {
    try {
      queues_->remove(p.queue);
    } catch (const std::exception& e) {
      if (!quiet) throw;
      spdlog::error("fault {}: removing queue {} failed: {}", f.id, p.queue, e.what());
    }
    return;
  }
  devices_.release(f.ifindex, p.side, f.slot, quiet);
}

void FaultEngine::uninstall(Fault& fault) {
  while (!fault.placements.empty()) {
    unplace(fault, fault.placements.back(), /*quiet=*/false);
    fault.placements.pop_back();
  }
}

void FaultEngine::revert(const std::string& id) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id '" + id + "'");
  uninstall(it->second);
  spdlog::info("reverted fault {} on {}", id, it->second.spec.device);
  faults_.erase(it);
  record();
}

// One fault that will not go must not keep the others in place: try every
// one, then report the first failure.
std::vector<std::string> FaultEngine::revert_all() {
  std::vector<std::string> ids, reverted;
  for (const auto& [id, f] : faults_) ids.push_back(id);
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

const Fault& FaultEngine::renew(const std::string& id) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id '" + id + "'");
  Fault& f = it->second;
  if (!f.lease_deadline) {
    throw FieldError("lifetime.lease_ms", "fault " + id + " was applied without a lease, so there is none to renew",
                     "apply it with lifetime.lease_ms (injector fault apply --hold)");
  }
  f.lease_deadline = clock_() + f.spec.lifetime.lease;
  record();  // so a restart knows the holder was alive until now
  return f;
}

std::vector<std::string> FaultEngine::run_due() {
  std::vector<std::string> due;
  const SteadyTime now = clock_();
  for (auto& [id, f] : faults_) {
    if (f.deadline <= now) {
      spdlog::info("fault {} reached the end of its lifetime", id);
      due.push_back(id);
    } else if (f.lease_deadline && *f.lease_deadline <= now) {
      spdlog::warn("fault {}: its holder did not renew the lease ({}); reverting", id,
                   format_duration(f.spec.lifetime.lease));
      ++lease_expiries_;
      due.push_back(id);
    } else if (f.next_flap && *f.next_flap <= now) {
      switch_flap(f);
    }
  }
  for (const auto& id : due) revert(id);
  return due;
}

std::optional<SteadyTime> FaultEngine::next_deadline() const {
  std::optional<SteadyTime> next;
  auto consider = [&](std::optional<SteadyTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [id, f] : faults_) {
    consider(f.deadline);
    consider(f.lease_deadline);
    consider(f.next_flap);
  }
  return next;
}

void FaultEngine::require_kernel_features(const tc::SlotPlan& plan, Direction direction) const {
  if (!config_.capabilities) return;
  const auto& caps = *config_.capabilities;
  auto need = [&](const char* feature, const std::string& what) {
    if (!caps.has(feature)) {
      throw UnsupportedError(std::string("this kernel has no ") + feature + ", which " + what +
                             " needs (see `injector capabilities`)");
    }
  };
  need("sch_htb", "every fault");
  need("cls_u32", "every fault");
  if (plan.leaf == tc::LeafKind::netem) need("sch_netem", "delay, loss, duplicate, corrupt and reorder");
  if (plan.leaf == tc::LeafKind::blackhole) need("sch_blackhole", "a cut or a flap");
  if (direction != Direction::egress) {
    need("sch_ingress", "an ingress fault");
    need("ifb", "an ingress fault");
    need("act_mirred", "an ingress fault");
  }
}

// The ingress side of every fault on a device shares the ifb's tree, the egress
// side the device's: faults on the same device and a common side share a tree.
// Judged on each fault's up-state plan: a flap holds its netem half of the time.
// Returns the id of a netem fault the kernel would refuse to mix with this one.
std::optional<std::string> FaultEngine::netem_mix_conflict(int ifindex, Direction direction,
                                                           const Impairments& impairments,
                                                           const std::string& except_id) const {
  const tc::SlotPlan plan = tc::plan_slot(impairments, false);
  if (plan.leaf != tc::LeafKind::netem) return std::nullopt;
  auto shares_tree = [&](const Fault& f) {
    if (f.ifindex != ifindex || f.backend != Backend::netem) return false;
    return direction == Direction::both || f.spec.direction == Direction::both || f.spec.direction == direction;
  };
  for (const auto& [id, f] : faults_) {
    if (id == except_id || !shares_tree(f)) continue;
    const tc::SlotPlan other = tc::plan_slot(f.spec.impairments, false);
    if (other.leaf != tc::LeafKind::netem) continue;
    if (plan.netem.duplicate > 0 || other.netem.duplicate > 0) return id;
  }
  return std::nullopt;
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

tc::FaultCounters FaultEngine::leaf_counters(const Fault& f) const {
  tc::FaultCounters c;
  for (const auto& p : f.placements) {
    const tc::FaultCounters side = backend_.counters(p.ifindex, f.leaf);
    c.packets_sent += side.packets_sent;
    c.bytes_sent += side.bytes_sent;
    c.packets_dropped += side.packets_dropped;
  }
  return c;
}

delayline::QueueCounters FaultEngine::queue_counters(const Fault& f) const {
  delayline::QueueCounters sum;
  if (f.backend != Backend::delayline) return sum;
  for (const auto& p : f.placements) {
    const auto c = queues_->counters(p.queue);
    sum.packets_seen += c.packets_seen;
    sum.bytes_seen += c.bytes_seen;
    sum.packets_sent += c.packets_sent;
    sum.bytes_sent += c.bytes_sent;
    sum.packets_dropped += c.packets_dropped;
    sum.packets_overflow += c.packets_overflow;
    sum.packets_delayed += c.packets_delayed;
    sum.packets_duplicated += c.packets_duplicated;
    sum.packets_corrupted += c.packets_corrupted;
    sum.packets_reordered += c.packets_reordered;
  }
  return sum;
}

tc::FaultCounters FaultEngine::counters(const Fault& f) const {
  if (f.backend == Backend::delayline) {
    const auto q = queue_counters(f);
    return {q.packets_sent, q.bytes_sent, q.packets_dropped};
  }
  tc::FaultCounters c = leaf_counters(f);
  c.packets_sent += f.retired.packets_sent;
  c.bytes_sent += f.retired.bytes_sent;
  c.packets_dropped += f.retired.packets_dropped;
  return c;
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
  if (it == faults_.end()) throw NotFoundError("no fault with id '" + id + "'");
  Fault& f = it->second;
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

void FaultEngine::record() {
  if (!journal_) return;
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& [id, f] : faults_) {
    nlohmann::json placed = nlohmann::json::array();
    for (const auto& p : f.placements) {
      placed.push_back({{"side", to_string(p.side)}, {"ifindex", p.ifindex}, {"queue", p.queue}});
    }
    nlohmann::json entry = {{"id", id}, {"ifindex", f.ifindex}, {"slot", f.slot}, {"backend", to_string(f.backend)},
                      {"spec", to_json(f.spec)},
                      {"placements", placed},
                      {"expires_at_unix_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 f.expires_at.time_since_epoch()).count()}};
    if (f.lease_deadline) {
      const auto lease_end = std::chrono::system_clock::now() + (*f.lease_deadline - clock_());
      entry["lease_expires_at_unix_ms"] =
          std::chrono::duration_cast<std::chrono::milliseconds>(lease_end.time_since_epoch()).count();
    }
    faults.push_back(std::move(entry));
  }
  journal_->save({{"version", 1}, {"faults", faults}, {"devices", devices_.to_json()}});
}

}  // namespace injector
