#pragma once
// What a fault does to the packets it matches. Each impairment is optional;
// a fault combines them (delay + loss + bandwidth, say) as netem allows.
// Percentages are 0-100 as users write them; the kernel layer scales them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/input_limits.h"

namespace injector {

// Drop every matched packet: a fibre cut.
struct CutImpairment {
  friend bool operator==(const CutImpairment&, const CutImpairment&) = default;
};

enum class Distribution : std::uint8_t { none, uniform, normal, pareto, paretonormal };
std::string_view to_string(Distribution d);
Distribution distribution_from_string(std::string_view s);  // throws FieldError

struct DelayImpairment {
  std::chrono::microseconds time{0};
  std::chrono::microseconds jitter{0};
  double correlation_pct = 0;
  Distribution distribution = Distribution::none;  // none: netem's default (uniform jitter)
  friend bool operator==(const DelayImpairment&, const DelayImpairment&) = default;
};

// Gilbert-Elliott: p = good->bad, r = bad->good, h = 1 - loss in the bad state
// ... in netem's terms; we take the loss probabilities directly.
struct GilbertElliott {
  double p_pct = 0;          // probability of moving good -> bad
  double r_pct = 100;        // probability of moving bad -> good
  double bad_loss_pct = 100;  // loss while bad (netem's 1-h)
  double good_loss_pct = 0;   // loss while good (netem's 1-k)
  friend bool operator==(const GilbertElliott&, const GilbertElliott&) = default;
};

struct LossImpairment {
  double percent = 0;  // random loss
  double correlation_pct = 0;
  std::optional<GilbertElliott> gilbert_elliott;  // instead of random loss
  friend bool operator==(const LossImpairment&, const LossImpairment&) = default;
};

// duplicate and corrupt share a shape: a probability and its correlation.
struct ChanceImpairment {
  double percent = 0;
  double correlation_pct = 0;
  friend bool operator==(const ChanceImpairment&, const ChanceImpairment&) = default;
};

struct ReorderImpairment {
  double percent = 0;  // sent at once, ahead of the delayed ones
  double correlation_pct = 0;
  std::uint32_t gap = 0;  // reorder every gap-th packet instead (0: by probability)
  // One limit for validate() and the JSON decoder, so the CLI refuses what the daemon would.
  static constexpr std::uint32_t kMaxGap = limits::kMaxReorderGap;
  friend bool operator==(const ReorderImpairment&, const ReorderImpairment&) = default;
};

struct BandwidthImpairment {
  std::uint64_t rate_bps = 0;    // bits per second
  std::uint32_t burst_bytes = 0;  // 0: derived from the rate
  friend bool operator==(const BandwidthImpairment&, const BandwidthImpairment&) = default;
};

// Cut on and off: down for duty_pct of every period, until the fault ends.
struct FlapImpairment {
  std::chrono::milliseconds period{0};
  double down_pct = 50;
  std::chrono::milliseconds jitter{0};  // each switch moves by up to +/- jitter
  friend bool operator==(const FlapImpairment&, const FlapImpairment&) = default;
};

struct Impairments {
  std::optional<CutImpairment> cut;
  std::optional<DelayImpairment> delay;
  std::optional<LossImpairment> loss;
  std::optional<ChanceImpairment> duplicate;
  std::optional<ChanceImpairment> corrupt;
  std::optional<ReorderImpairment> reorder;
  std::optional<BandwidthImpairment> bandwidth;
  std::optional<FlapImpairment> flap;

  bool empty() const { return !cut && !delay && !loss && !duplicate && !corrupt && !reorder && !bandwidth && !flap; }
  // Anything that needs netem (as opposed to a blackhole leaf or an HTB rate).
  bool needs_netem() const { return delay || loss || duplicate || corrupt || reorder; }
  friend bool operator==(const Impairments&, const Impairments&) = default;
};

// Ranges and combinations, checked before anything is sent. Throws FieldError
// naming the field, e.g. "impairments.reorder" when no delay is given.
void validate(const Impairments& imp);

}  // namespace injector
