#include "common/impairments.h"

#include <array>
#include <string>

#include "common/field_error.h"
#include "common/strings.h"

namespace injector {
namespace {

constexpr std::array<std::string_view, 5> kDistributions{"none", "uniform", "normal", "pareto", "paretonormal"};
using limits::kMaxDelay;
using limits::kMaxRateBps;
using limits::kMinRateBps;
constexpr std::uint32_t kMaxBurst = limits::kMaxBurstBytes;

void check_pct(double v, const std::string& field, bool allow_zero = true) {
  if (!(v >= 0 && v <= 100) || (!allow_zero && v == 0)) {
    throw FieldError(field, "is " + std::to_string(v), allow_zero ? "0 to 100" : "more than 0, up to 100");
  }
}

void check_chance(const ChanceImpairment& c, const std::string& field) {
  check_pct(c.percent, field + ".percent", false);
  check_pct(c.correlation_pct, field + ".correlation_pct");
}

void check_delay(const DelayImpairment& d) {
  const std::string f = "impairments.delay";
  if (d.time.count() < 0 || d.time > kMaxDelay) throw FieldError(f + ".time_us", "out of range", "0 to 60 s");
  if (d.jitter.count() < 0 || d.jitter > kMaxDelay) throw FieldError(f + ".jitter_us", "out of range", "0 to 60 s");
  if (d.time.count() == 0 && d.jitter.count() == 0) throw FieldError(f + ".time_us", "a delay of zero", "more than 0");
  check_pct(d.correlation_pct, f + ".correlation_pct");
  if (d.jitter.count() == 0 && d.distribution != Distribution::none) {
    throw FieldError(f + ".distribution", "a distribution shapes the jitter, and there is none", "set jitter_us too");
  }
  if (d.jitter.count() == 0 && d.correlation_pct > 0) {
    throw FieldError(f + ".correlation_pct", "correlation applies to the jitter, and there is none", "set jitter_us too");
  }
}

void check_loss(const LossImpairment& l) {
  const std::string f = "impairments.loss";
  check_pct(l.correlation_pct, f + ".correlation_pct");
  if (l.gilbert_elliott) {
    if (l.percent > 0) throw FieldError(f + ".percent", "random loss and a Gilbert-Elliott model at once", "one of them");
    // Nor a negative or NaN one, which "> 0" lets through: with a model, percent is 0 or absent.
    if (l.percent != 0) throw FieldError(f + ".percent", "is " + std::to_string(l.percent), "0 or absent with gilbert_elliott");
    const auto& ge = *l.gilbert_elliott;
    check_pct(ge.p_pct, f + ".gilbert_elliott.p_pct", false);
    check_pct(ge.r_pct, f + ".gilbert_elliott.r_pct");
    check_pct(ge.bad_loss_pct, f + ".gilbert_elliott.bad_loss_pct");
    check_pct(ge.good_loss_pct, f + ".gilbert_elliott.good_loss_pct");
    return;
  }
  check_pct(l.percent, f + ".percent", false);
}

void check_reorder(const ReorderImpairment& r, const Impairments& imp) {
  const std::string f = "impairments.reorder";
  check_pct(r.percent, f + ".percent", false);
  check_pct(r.correlation_pct, f + ".correlation_pct");
  if (r.gap > ReorderImpairment::kMaxGap) {
    throw FieldError(f + ".gap", std::to_string(r.gap) + " packets", "0 to " + std::to_string(ReorderImpairment::kMaxGap));
  }
  if (!imp.delay || imp.delay->time.count() == 0) {
    throw FieldError(f, "reordering sends some packets ahead of delayed ones, and there is no delay",
                     "add impairments.delay with time_us > 0");
  }
}

void check_bandwidth(const BandwidthImpairment& b) {
  if (b.rate_bps < kMinRateBps || b.rate_bps > kMaxRateBps) {
    throw FieldError("impairments.bandwidth.rate_bps", std::to_string(b.rate_bps) + " bit/s", "1 kbit/s to 100 Gbit/s");
  }
  if (b.burst_bytes > kMaxBurst) throw FieldError("impairments.bandwidth.burst_bytes", "too large", "at most 64 MiB");
}

void check_flap(const FlapImpairment& fl) {
  const std::string f = "impairments.flap";
  if (fl.period < limits::kMinFlapPeriod || fl.period > limits::kMaxFlapPeriod) {
    throw FieldError(f + ".period_ms", "out of range", "100 ms to 1 h");
  }
  if (!(fl.down_pct > 0 && fl.down_pct < 100)) throw FieldError(f + ".down_pct", "out of range", "more than 0, less than 100");
  // period / 4, not jitter * 4: a huge jitter would overflow and wrap to "in range".
  if (fl.jitter.count() < 0 || fl.jitter > fl.period / 4) throw FieldError(f + ".jitter_ms", "out of range", "0 to a quarter of the period");
}

}  // namespace

std::string_view to_string(Distribution d) { return kDistributions.at(static_cast<std::size_t>(d)); }

Distribution distribution_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kDistributions.size(); ++i) {
    if (kDistributions[i] == s) return static_cast<Distribution>(i);
  }
  throw FieldError("impairments.delay.distribution", "unknown distribution " + quote_input(s),
                   "uniform, normal, pareto, paretonormal");
}

void validate(const Impairments& imp) {
  if (imp.empty()) {
    throw FieldError("impairments", "no impairment given", "cut, delay, loss, duplicate, corrupt, reorder, bandwidth, flap");
  }
  if (imp.cut && (imp.needs_netem() || imp.bandwidth || imp.flap)) {
    throw FieldError("impairments.cut", "a cut drops every packet, so nothing can be combined with it",
                     "cut alone, or flap for a cut that comes and goes");
  }
  if (imp.delay) check_delay(*imp.delay);
  if (imp.loss) check_loss(*imp.loss);
  if (imp.duplicate) check_chance(*imp.duplicate, "impairments.duplicate");
  if (imp.corrupt) check_chance(*imp.corrupt, "impairments.corrupt");
  if (imp.reorder) check_reorder(*imp.reorder, imp);
  if (imp.bandwidth) check_bandwidth(*imp.bandwidth);
  if (imp.flap) check_flap(*imp.flap);
}

}  // namespace injector
