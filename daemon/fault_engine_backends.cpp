// The fault engine's choice of backend (netem or the delay line) and the
// kernel features and combinations each one needs, checked before anything
// is sent.

#include "daemon/fault_engine.h"

namespace injector {

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
  if (!want_netem && imp.needs_netem() && has_delay_line() &&
      (!kernel_netem || netem_mix_conflict(ifindex, spec.direction, imp, ""))) {
    require_delay_line(spec);
    return Backend::delayline;
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

}  // namespace injector
