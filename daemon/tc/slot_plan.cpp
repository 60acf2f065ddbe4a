#include "daemon/tc/slot_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace injector::tc {
namespace {

void plan_netem(const Impairments& imp, NetemParams& n) {
  if (const auto& d = imp.delay) {
    n.delay = d->time;
    n.jitter = d->jitter;
    n.delay_corr = probability(d->correlation_pct);
    n.distribution = d->distribution;
  }
  if (const auto& l = imp.loss) {
    n.loss = probability(l->percent);
    n.loss_corr = probability(l->correlation_pct);
    n.gilbert_elliott = l->gilbert_elliott;
  }
  if (const auto& d = imp.duplicate) {
    n.duplicate = probability(d->percent);
    n.duplicate_corr = probability(d->correlation_pct);
  }
  if (const auto& c = imp.corrupt) {
    n.corrupt = probability(c->percent);
    n.corrupt_corr = probability(c->correlation_pct);
  }
  if (const auto& r = imp.reorder) {
    n.reorder = probability(r->percent);
    n.reorder_corr = probability(r->correlation_pct);
    // netem reorders nothing with gap 0; tc makes the same substitution.
    n.gap = std::max<std::uint32_t>(r->gap, 1);
  }
}

}  // namespace

std::uint32_t probability(double percent) {
  const double p = std::clamp(percent, 0.0, 100.0) / 100.0;
  return static_cast<std::uint32_t>(std::llround(p * std::numeric_limits<std::uint32_t>::max()));
}

SlotPlan plan_slot(const Impairments& imp, bool flap_down) {
  SlotPlan plan;
  if (imp.cut || (imp.flap && flap_down)) {
    plan.leaf = LeafKind::blackhole;
    return plan;
  }
  if (imp.needs_netem()) {
    plan.leaf = LeafKind::netem;
    plan_netem(imp, plan.netem);
  }
  if (const auto& b = imp.bandwidth) {
    plan.rate_bytes = b->rate_bps / 8;
    // Like tc's default: 10 ms worth of the rate plus a full frame, so HTB can
    // send a whole packet at any rate and smooths over timer slack.
    plan.burst_bytes = b->burst_bytes ? b->burst_bytes
                                      : static_cast<std::uint32_t>(std::min<std::uint64_t>(*plan.rate_bytes / 100 + 1600, 64u << 20));
  }
  return plan;
}

}  // namespace injector::tc
