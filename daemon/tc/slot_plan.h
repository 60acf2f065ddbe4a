#pragma once
// What one fault slot looks like in the kernel, decided from its impairments:
// the HTB class (shaped for bandwidth, else unlimited) and its leaf qdisc
// (blackhole for a cut, netem for delay/loss/..., the kernel's default fifo
// otherwise). Pure data, so the choice is unit-tested without a kernel.

#include <chrono>
#include <cstdint>
#include <optional>

#include "common/impairments.h"

namespace injector::tc {

struct NetemParams {
  std::chrono::nanoseconds delay{0};
  std::chrono::nanoseconds jitter{0};
  std::uint32_t delay_corr = 0;  // all probabilities: 0 = never, UINT32_MAX = always
  Distribution distribution = Distribution::none;
  std::uint32_t loss = 0;
  std::uint32_t loss_corr = 0;
  std::optional<GilbertElliott> gilbert_elliott;
  std::uint32_t duplicate = 0;
  std::uint32_t duplicate_corr = 0;
  std::uint32_t corrupt = 0;
  std::uint32_t corrupt_corr = 0;
  std::uint32_t reorder = 0;
  std::uint32_t reorder_corr = 0;
  std::uint32_t gap = 0;
  std::uint32_t limit = 10'000;  // packets waiting in the delay queue (netem's drop-tail limit)
  friend bool operator==(const NetemParams&, const NetemParams&) = default;
};

enum class LeafKind : std::uint8_t { fifo, blackhole, netem };

struct SlotPlan {
  LeafKind leaf = LeafKind::fifo;
  NetemParams netem;                         // when leaf == netem
  std::optional<std::uint64_t> rate_bytes;  // shaped class; nullopt = unlimited
  std::uint32_t burst_bytes = 0;
  friend bool operator==(const SlotPlan&, const SlotPlan&) = default;
};

// 0-100 % -> netem's 32-bit probability.
std::uint32_t probability(double percent);

// The slot for these impairments. `flap_down` picks the down half of a flap
// (a blackhole leaf) over its up half (the other impairments, or a plain fifo).
SlotPlan plan_slot(const Impairments& imp, bool flap_down = false);

}  // namespace injector::tc
