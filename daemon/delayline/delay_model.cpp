#include "daemon/delayline/delay_model.h"

#include <algorithm>
#include <limits>

#include "daemon/tc/netem.h"

namespace injector::delayline {
namespace {

constexpr std::int64_t kDistScale = 8192;  // NETEM_DIST_SCALE: table values are in 1/8192 of jitter

std::int64_t ns(std::chrono::microseconds us) { return std::chrono::duration_cast<std::chrono::nanoseconds>(us).count(); }

}  // namespace

std::uint32_t probability_threshold(double pct) {
  if (pct <= 0) return 0;
  if (pct >= 100) return std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(pct / 100.0 * static_cast<double>(std::numeric_limits<std::uint32_t>::max()));
}

CorrelatedRandom::CorrelatedRandom(double correlation_pct) : rho_(probability_threshold(correlation_pct)) {}

std::uint32_t CorrelatedRandom::next(std::mt19937& rng) {
  const std::uint32_t value = static_cast<std::uint32_t>(rng());
  if (rho_ == 0) return value;
  // netem seeds `last` with a random value when the correlation is set.
  if (!seeded_) {
    last_ = static_cast<std::uint32_t>(rng());
    seeded_ = true;
  }
  const std::uint64_t rho = static_cast<std::uint64_t>(rho_) + 1;
  const std::uint64_t mixed = (static_cast<std::uint64_t>(value) * ((1ull << 32) - rho) + static_cast<std::uint64_t>(last_) * rho) >> 32;
  last_ = static_cast<std::uint32_t>(mixed);
  return last_;
}

DelayModel::DelayModel(const Impairments& imp, std::vector<std::int16_t> table, std::uint64_t seed)
    : rng_(static_cast<std::mt19937::result_type>(seed ^ (seed >> 32))), table_(std::move(table)) {
  configure(imp);
}

DelayModel DelayModel::from(const Impairments& imp, std::uint64_t seed) {
  const Distribution d = imp.delay ? imp.delay->distribution : Distribution::none;
  return DelayModel(imp, tc::load_distribution(d), seed);
}

void DelayModel::update(const Impairments& imp, std::vector<std::int16_t> table) {
  table_ = std::move(table);
  configure(imp);
}

void DelayModel::configure(const Impairments& imp) {
  cut_ = imp.cut.has_value();
  latency_ns_ = imp.delay ? ns(imp.delay->time) : 0;
  jitter_ns_ = imp.delay ? ns(imp.delay->jitter) : 0;
  delay_cor_ = CorrelatedRandom(imp.delay ? imp.delay->correlation_pct : 0);
  loss_ = imp.loss ? probability_threshold(imp.loss->percent) : 0;
  loss_cor_ = CorrelatedRandom(imp.loss ? imp.loss->correlation_pct : 0);
  gilbert_ = imp.loss && imp.loss->gilbert_elliott;
  if (gilbert_) {
    const GilbertElliott& ge = *imp.loss->gilbert_elliott;
    ge_p_ = probability_threshold(ge.p_pct);
    ge_r_ = probability_threshold(ge.r_pct);
    ge_bad_loss_ = probability_threshold(ge.bad_loss_pct);
    ge_good_loss_ = probability_threshold(ge.good_loss_pct);
  }
  bad_state_ = false;  // netem restarts the chain in the good state on every change
  duplicate_ = imp.duplicate ? probability_threshold(imp.duplicate->percent) : 0;
  dup_cor_ = CorrelatedRandom(imp.duplicate ? imp.duplicate->correlation_pct : 0);
  corrupt_ = imp.corrupt ? probability_threshold(imp.corrupt->percent) : 0;
  corrupt_cor_ = CorrelatedRandom(imp.corrupt ? imp.corrupt->correlation_pct : 0);
  reorder_ = imp.reorder ? probability_threshold(imp.reorder->percent) : 0;
  reorder_cor_ = CorrelatedRandom(imp.reorder ? imp.reorder->correlation_pct : 0);
  // tc turns "reorder P" without a gap into gap 1; no reorder means gap 0 (off).
  gap_ = imp.reorder ? std::max<std::uint32_t>(imp.reorder->gap, 1) : 0;
  counter_ = 0;
  rate_bps_ = imp.bandwidth ? imp.bandwidth->rate_bps : 0;
}

bool DelayModel::gilbert_elliott_loss() {
  // As netem: the transition is drawn first, but this packet's loss uses the
  // probability of the state it arrived in.
  if (!bad_state_) {
    if (static_cast<std::uint32_t>(rng_()) < ge_p_) bad_state_ = true;
    return ge_good_loss_ != 0 && static_cast<std::uint32_t>(rng_()) < ge_good_loss_;
  }
  if (static_cast<std::uint32_t>(rng_()) < ge_r_) bad_state_ = false;
  return ge_bad_loss_ != 0 && static_cast<std::uint32_t>(rng_()) < ge_bad_loss_;
}

bool DelayModel::loss_event() {
  if (gilbert_) return gilbert_elliott_loss();
  return loss_ != 0 && loss_ >= loss_cor_.next(rng_);
}

std::int64_t DelayModel::jittered_delay_ns() {
  if (jitter_ns_ == 0) return latency_ns_;
  // netem maps the random value with `rnd % range`, which keeps only its low
  // bits and so throws the delay correlation away. Scaling (rnd * range >> 32)
  // gives the same distribution for uncorrelated values and keeps neighbours
  // alike when correlated: a deliberate difference from netem.
  const std::uint64_t rnd = delay_cor_.next(rng_);
  if (table_.empty()) {
    const auto span = static_cast<std::uint64_t>(2 * jitter_ns_);
    // rnd * span >> 32 without a 128-bit product: split span at 32 bits.
    const auto offset = static_cast<std::int64_t>(rnd * (span >> 32) + ((rnd * (span & 0xffffffffu)) >> 32));
    return offset + latency_ns_ - jitter_ns_;
  }
  // Split jitter into whole and fractional multiples of the table scale, as
  // netem does, so large jitters do not overflow and small ones round right.
  const std::int64_t t = table_[(rnd * table_.size()) >> 32];
  std::int64_t x = (jitter_ns_ % kDistScale) * t;
  x += x >= 0 ? kDistScale / 2 : -kDistScale / 2;
  return x / kDistScale + (jitter_ns_ / kDistScale) * t + latency_ns_;
}

Fate DelayModel::fate(std::uint32_t bytes, std::int64_t arrival_ns, bool lost) {
  Fate f;
  if (lost) {
    f.drop = true;
    return f;
  }
  f.corrupt = corrupt_ != 0 && corrupt_ >= corrupt_cor_.next(rng_);
  const bool delayed = gap_ == 0 || counter_ + 1 < gap_ || reorder_ < reorder_cor_.next(rng_);
  if (!delayed) {
    f.at_once = true;
    f.release_ns = arrival_ns;
    counter_ = 0;
    return f;
  }
  ++counter_;
  // A negative jittered delay is "already due" in netem too.
  std::int64_t release = arrival_ns + std::max<std::int64_t>(jittered_delay_ns(), 0);
  if (rate_bps_ != 0) {
    const auto tx_ns = static_cast<std::int64_t>(std::uint64_t{bytes} * 8 * 1'000'000'000ull / rate_bps_);
    release = std::max(release, link_free_ns_) + tx_ns;
    link_free_ns_ = release;
  }
  f.release_ns = release;
  return f;
}

Decision DelayModel::decide(std::uint32_t bytes, std::int64_t arrival_ns) {
  Decision d;
  if (cut_ || down_) {
    d.drop = true;
    d.release_ns = arrival_ns;
    return d;
  }
  int count = 1;
  if (duplicate_ != 0 && duplicate_ >= dup_cor_.next(rng_)) ++count;
  if (loss_event()) --count;
  if (count == 0) {
    d.drop = true;
    d.release_ns = arrival_ns;
    return d;
  }
  if (count > 1) {
    // The copy re-enters netem with duplication off: its own loss draw and fate, decided first.
    d.duplicate = true;
    d.copy = fate(bytes, arrival_ns, loss_event());
  }
  static_cast<Fate&>(d) = fate(bytes, arrival_ns, false);
  return d;
}

}  // namespace injector::delayline
