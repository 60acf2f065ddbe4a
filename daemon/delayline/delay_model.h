#pragma once
// Per-packet decisions the way sch_netem makes them, for the userspace delay
// line. Deterministic for a seed, so its statistics are unit-testable.
//
// netem semantics kept here (read in net/sched/sch_netem.c):
//  - probabilities are 32-bit thresholds (100% = UINT32_MAX) compared with
//    a "correlated random": next = (rnd * (2^32 - rho') + last * rho') >> 32,
//    rho' = rho + 1, i.e. a moving average that lengthens runs;
//  - a packet's count starts at 1, +1 when duplicated, -1 when lost; 0 drops
//    it, so a packet both duplicated and lost is sent once;
//  - the duplicate goes through the whole decision again (loss, corrupt,
//    delay, reorder, rate) with duplication off, and is decided first;
//  - jitter: uniform over [delay - jitter, delay + jitter) without a table,
//    else delay + table[rnd % size] * jitter / 8192 (NETEM_DIST_SCALE);
//  - reorder with gap N (0 = 1 here, as tc sets it): after N-1 delayed
//    packets a packet goes at once with probability `reorder`;
//  - rate: a serialising link after the delay, only for delayed packets:
//    release = max(arrival + delay, link_free) + bytes * 8 / rate.
// Times are steady_clock nanoseconds since its epoch.

#include <cstdint>
#include <random>
#include <vector>

#include "common/impairments.h"

namespace injector::delayline {

// What becomes of one packet, or of its duplicate.
struct Fate {
  bool drop = false;
  bool corrupt = false;
  bool at_once = false;         // reordered: sent ahead of the delayed ones
  std::int64_t release_ns = 0;  // when to give the verdict (== arrival when at_once)
};

struct Decision : Fate {
  bool duplicate = false;  // a copy must be sent too; its own fate follows
  Fate copy;
};

// A netem "correlated random" source (get_crandom).
class CorrelatedRandom {
 public:
  CorrelatedRandom() = default;
  explicit CorrelatedRandom(double correlation_pct);
  std::uint32_t next(std::mt19937& rng);

 private:
  std::uint32_t rho_ = 0;
  std::uint32_t last_ = 0;
  bool seeded_ = false;
};

std::uint32_t probability_threshold(double pct);  // 0-100 -> 0..UINT32_MAX

class DelayModel {
 public:
  // `table` is a netem distribution table (tc::load_distribution); empty for uniform.
  DelayModel(const Impairments& imp, std::vector<std::int16_t> table, std::uint64_t seed);
  // Loads the table named by imp.delay->distribution itself (throws if missing).
  static DelayModel from(const Impairments& imp, std::uint64_t seed);

  // A live change: new parameters, same random stream and link state
  // (packets already scheduled keep the link busy).
  void update(const Impairments& imp, std::vector<std::int16_t> table);
  void set_down(bool down) { down_ = down; }

  Decision decide(std::uint32_t bytes, std::int64_t arrival_ns);

 private:
  Fate fate(std::uint32_t bytes, std::int64_t arrival_ns, bool lost);
  bool loss_event();
  bool gilbert_elliott_loss();
  std::int64_t jittered_delay_ns();
  void configure(const Impairments& imp);

  std::mt19937 rng_;
  bool down_ = false;
  bool cut_ = false;
  // Delay
  std::int64_t latency_ns_ = 0;
  std::int64_t jitter_ns_ = 0;
  std::vector<std::int16_t> table_;
  CorrelatedRandom delay_cor_;
  // Loss
  std::uint32_t loss_ = 0;
  CorrelatedRandom loss_cor_;
  bool gilbert_ = false;
  bool bad_state_ = false;
  std::uint32_t ge_p_ = 0, ge_r_ = 0, ge_bad_loss_ = 0, ge_good_loss_ = 0;
  // Duplicate, corrupt, reorder
  std::uint32_t duplicate_ = 0;
  CorrelatedRandom dup_cor_;
  std::uint32_t corrupt_ = 0;
  CorrelatedRandom corrupt_cor_;
  std::uint32_t reorder_ = 0;
  CorrelatedRandom reorder_cor_;
  std::uint32_t gap_ = 0;
  std::uint32_t counter_ = 0;
  // Rate
  std::uint64_t rate_bps_ = 0;
  std::int64_t link_free_ns_ = 0;
};

}  // namespace injector::delayline
