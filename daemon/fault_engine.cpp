#include "daemon/fault_engine.h"

#include <spdlog/spdlog.h>

#include <random>

#include "common/duration.h"
#include "common/fault_json.h"
#include "common/field_error.h"
#include "daemon/tc/handles.h"

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

std::string root_text(const tc::RootQdisc& r) {
  char handle[16];
  std::snprintf(handle, sizeof handle, "%x:", r.handle >> 16);
  return (r.kind.empty() ? std::string("none") : r.kind) + " " + handle;
}

}  // namespace

FaultEngine::FaultEngine(tc::TcBackend& backend, Journal* journal, EngineConfig config, Clock clock)
    : backend_(backend), journal_(journal), config_(config), clock_(std::move(clock)) {}

std::vector<int> FaultEngine::cleanup_leftovers() {
  std::vector<int> cleaned = backend_.devices_with_our_root();
  for (int ifindex : cleaned) {
    spdlog::warn("removing traffic control left by a previous run on ifindex {}", ifindex);
    backend_.remove_root(ifindex);
  }
  record();
  return cleaned;
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

int FaultEngine::allocate_slot(int ifindex) const {
  const int slot = tc::first_free_slot([&](int s) {
    for (const auto& [id, f] : faults_) {
      if (f.ifindex == ifindex && f.slot == s) return true;
    }
    return false;
  });
  if (slot == 0) {
    throw FieldError("device", "already carries " + std::to_string(tc::kMaxSlots) + " faults",
                     "revert some faults first");
  }
  return slot;
}

const Fault& FaultEngine::apply(FaultSpec spec) {
  validate(spec);
  spec.lifetime.duration = resolve_lifetime(spec.lifetime.duration);
  const auto rules = tc::rules_for_match(spec.match);
  const int ifindex = backend_.ifindex(spec.device);
  if (ifindex == 0) {
    throw FieldError("device", "no device named '" + spec.device + "' in the daemon's network namespace",
                     "an existing interface, e.g. eth0");
  }
  Fault fault;
  fault.id = new_fault_id();
  fault.ifindex = ifindex;
  fault.slot = allocate_slot(ifindex);
  fault.filter_rules = rules.size();
  fault.created_at = std::chrono::system_clock::now();
  fault.expires_at = fault.created_at + spec.lifetime.duration;
  fault.deadline = clock_() + spec.lifetime.duration;
  fault.flap_down = spec.impairments.flap.has_value();  // a flap starts with the link down
  fault.plan = tc::plan_slot(spec.impairments, fault.flap_down);
  fault.leaf = tc::slot_leaf_handle(fault.slot);
  require_kernel_features(tc::plan_slot(spec.impairments, false));
  require_kernel_features(fault.plan);
  check_netem_mix(ifindex, fault.plan, "");
  fault.spec = std::move(spec);
  if (fault.flap_down) fault.next_flap = next_flap_time(fault);
  const std::string id = fault.id;
  install(std::move(fault), rules);
  const Fault& applied = faults_.at(id);
  spdlog::info("applied fault {} on {} (slot {}, {} filter rules, lifetime {})", id, applied.spec.device,
               applied.slot, rules.size(), format_duration(applied.spec.lifetime.duration));
  return applied;
}

void FaultEngine::install(Fault fault, const std::vector<tc::U32Rule>& rules) {
  auto dev = devices_.find(fault.ifindex);
  const bool first_on_device = dev == devices_.end();
  tc::RootQdisc root = backend_.root_qdisc(fault.ifindex);
  if (root.owner == tc::RootOwner::foreign) {
    throw ConflictError("device " + fault.spec.device + " has a root qdisc (" + root_text(root) +
                        ") that injectord does not own; refusing to touch it. Remove it or use another device.");
  }
  if (first_on_device && root.owner == tc::RootOwner::ours) {
    throw ConflictError("device " + fault.spec.device + " has an injectord root qdisc (fa17:) that this daemon "
                        "does not hold; is another injectord running in this network namespace?");
  }
  if (first_on_device) {
    dev = devices_.emplace(fault.ifindex, DeviceState{fault.spec.device, root, 0}).first;
  }
  ++dev->second.faults;
  const int ifindex = fault.ifindex, slot = fault.slot;
  const tc::SlotPlan plan = fault.plan;
  const std::string id = fault.id;
  faults_.emplace(id, std::move(fault));
  record();  // intent first: a crash from here on leaves a journal that explains the kernel
  try {
    if (first_on_device) backend_.install_root(ifindex);
    backend_.install_fault(ifindex, slot, plan, rules);
  } catch (...) {
    faults_.erase(id);
    if (--dev->second.faults == 0) {
      devices_.erase(dev);
      if (first_on_device) undo_root(ifindex);
    }
    record();
    throw;
  }
}

// Best effort while another error is on its way out: that error is the one to report.
void FaultEngine::undo_root(int ifindex) noexcept {
  try {
    backend_.remove_root(ifindex);
  } catch (const std::exception& e) {
    spdlog::error("could not remove the root qdisc after a failed apply on ifindex {}: {}", ifindex, e.what());
  }
}

void FaultEngine::uninstall(const Fault& fault) {
  auto dev = devices_.find(fault.ifindex);
  if (dev != devices_.end() && dev->second.faults == 1) {
    backend_.remove_root(fault.ifindex);  // one step removes the class, leaf and filters too
    const tc::RootQdisc now = backend_.root_qdisc(fault.ifindex);
    if (now.kind != dev->second.root_before.kind && backend_.ifindex(dev->second.name) != 0) {
      spdlog::warn("{}: root qdisc is now {} but was {} before the first fault", dev->second.name, root_text(now),
                   root_text(dev->second.root_before));
    }
    devices_.erase(dev);
    return;
  }
  backend_.remove_fault(fault.ifindex, fault.slot);
  if (dev != devices_.end()) --dev->second.faults;
}

void FaultEngine::revert(const std::string& id) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id '" + id + "'");
  uninstall(it->second);
  spdlog::info("reverted fault {} on {}", id, it->second.spec.device);
  faults_.erase(it);
  record();
}

std::vector<std::string> FaultEngine::revert_all() {
  std::vector<std::string> ids;
  for (const auto& [id, f] : faults_) ids.push_back(id);
  for (const auto& id : ids) revert(id);
  return ids;
}

std::vector<std::string> FaultEngine::run_due() {
  std::vector<std::string> due;
  const SteadyTime now = clock_();
  for (auto& [id, f] : faults_) {
    if (f.deadline <= now) {
      due.push_back(id);
    } else if (f.next_flap && *f.next_flap <= now) {
      switch_flap(f);
    }
  }
  for (const auto& id : due) {
    spdlog::info("fault {} reached the end of its lifetime", id);
    revert(id);
  }
  return due;
}

std::optional<SteadyTime> FaultEngine::next_deadline() const {
  std::optional<SteadyTime> next;
  for (const auto& [id, f] : faults_) {
    if (!next || f.deadline < *next) next = f.deadline;
    if (f.next_flap && *f.next_flap < *next) next = f.next_flap;
  }
  return next;
}

void FaultEngine::require_kernel_features(const tc::SlotPlan& plan) const {
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
}

void FaultEngine::check_netem_mix(int ifindex, const tc::SlotPlan& plan, const std::string& except_id) const {
  if (plan.leaf != tc::LeafKind::netem) return;
  for (const auto& [id, f] : faults_) {
    if (id == except_id || f.ifindex != ifindex || f.plan.leaf != tc::LeafKind::netem) continue;
    if (plan.netem.duplicate > 0 || f.plan.netem.duplicate > 0) {
      throw ConflictError("the kernel refuses a duplicating netem next to any other netem on the same device, and " +
                          id + " already holds a netem on it; revert it, or apply the two faults on different devices");
    }
  }
}

// Down for down_pct of the period, up for the rest, each switch moved by up
// to +/- jitter so that a flap does not beat in step with a retry timer.
SteadyTime FaultEngine::next_flap_time(const Fault& fault) const {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto& flap = *fault.spec.impairments.flap;
  const double share = (fault.flap_down ? flap.down_pct : 100 - flap.down_pct) / 100;
  auto phase = std::chrono::duration_cast<std::chrono::milliseconds>(flap.period * share);
  if (flap.jitter.count() > 0) {
    std::uniform_int_distribution<std::int64_t> shift(-flap.jitter.count(), flap.jitter.count());
    phase += std::chrono::milliseconds(shift(rng));
  }
  return (fault.next_flap ? *fault.next_flap : clock_()) + std::max(phase, std::chrono::milliseconds(1));
}

tc::FaultCounters FaultEngine::counters(const Fault& f) const {
  tc::FaultCounters c = backend_.counters(f.ifindex, f.leaf);
  c.packets_sent += f.retired.packets_sent;
  c.bytes_sent += f.retired.bytes_sent;
  c.packets_dropped += f.retired.packets_dropped;
  return c;
}

// The kernel call, plus keeping the counts of a leaf that is about to be replaced.
void FaultEngine::change_slot(Fault& fault, const tc::SlotPlan& next) {
  const tc::FaultCounters before = fault.plan.leaf != next.leaf ? backend_.counters(fault.ifindex, fault.leaf) : tc::FaultCounters{};
  fault.leaf = backend_.change_fault(fault.ifindex, fault.slot, fault.plan, fault.leaf, next);
  fault.plan = next;
  fault.retired.packets_sent += before.packets_sent;
  fault.retired.bytes_sent += before.bytes_sent;
  fault.retired.packets_dropped += before.packets_dropped;
}

void FaultEngine::switch_flap(Fault& fault) {
  const bool down = !fault.flap_down;
  const tc::SlotPlan next = tc::plan_slot(fault.spec.impairments, down);
  try {
    change_slot(fault, next);
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
  require_kernel_features(tc::plan_slot(impairments, false));
  require_kernel_features(next);
  check_netem_mix(f.ifindex, next, id);
  change_slot(f, next);
  f.flap_down = flap_down;
  if (!impairments.flap) f.next_flap.reset();
  else if (!f.next_flap) f.next_flap = next_flap_time(f);
  if (lifetime) {
    f.deadline = clock_() + spec.lifetime.duration;
    f.expires_at = std::chrono::system_clock::now() + spec.lifetime.duration;
  }
  f.spec = std::move(spec);
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
    faults.push_back({{"id", id}, {"ifindex", f.ifindex}, {"slot", f.slot}, {"spec", to_json(f.spec)},
                      {"expires_at_unix_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 f.expires_at.time_since_epoch()).count()}});
  }
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& [ifindex, d] : devices_) {
    devices.push_back({{"ifindex", ifindex}, {"name", d.name}, {"root_before", {{"kind", d.root_before.kind},
                                                                                  {"handle", d.root_before.handle}}}});
  }
  journal_->save({{"version", 1}, {"faults", faults}, {"devices", devices}});
}

}  // namespace injector
