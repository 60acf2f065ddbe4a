#include "injector/impairment_flags.h"

#include <charconv>
#include <sstream>
#include <vector>

#include "common/duration.h"
#include "common/field_error.h"
#include "common/units.h"
#include "common/strings.h"

namespace injector::cli {
namespace {

// Runs a unit parser and re-labels its error with the flag's name.
template <class Parse>
auto flag_value(const std::string& text, const char* flag, Parse parse) {
  try {
    return parse(text);
  } catch (const std::invalid_argument& e) {
    throw FieldError(flag, e.what());
  }
}

double pct(const std::string& text, const char* flag) {
  return text.empty() ? 0 : flag_value(text, flag, [](const std::string& t) { return parse_percent(t); });
}

std::uint32_t gap_value(const std::string& text) {
  std::uint32_t gap = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), gap);
  const std::string allowed = "0 to " + std::to_string(ReorderImpairment::kMaxGap);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw FieldError("--gap", quote_input(text) + " is not a whole number of packets", allowed);
  }
  if (gap > ReorderImpairment::kMaxGap) throw FieldError("--gap", quote_input(text) + " is too large", allowed);
  return gap;
}

GilbertElliott gemodel(const std::string& text) {
  std::vector<double> v;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) v.push_back(pct(part, "--gemodel"));
  if (v.empty() || v.size() > 4) throw FieldError("--gemodel", "expected P[,R[,BAD_LOSS[,GOOD_LOSS]]] in %");
  GilbertElliott ge;
  ge.p_pct = v[0];
  if (v.size() > 1) ge.r_pct = v[1];
  if (v.size() > 2) ge.bad_loss_pct = v[2];
  if (v.size() > 3) ge.good_loss_pct = v[3];
  return ge;
}

void build_netem(const ImpairmentFlags& f, Impairments& imp) {
  auto micros = [](const std::string& t) { return parse_micros(t); };
  if (!f.delay.empty() || !f.jitter.empty()) {
    DelayImpairment d;
    if (!f.delay.empty()) d.time = flag_value(f.delay, "--delay", micros);
    if (!f.jitter.empty()) d.jitter = flag_value(f.jitter, "--jitter", micros);
    d.correlation_pct = pct(f.delay_correlation, "--delay-correlation");
    if (!f.distribution.empty()) {
      try {
        d.distribution = distribution_from_string(f.distribution);
      } catch (const FieldError& e) {
        throw FieldError("--distribution", e.message(), e.allowed());
      }
    }
    imp.delay = d;
  }
  if (!f.loss.empty() || !f.gemodel.empty()) {
    LossImpairment l{pct(f.loss, "--loss"), pct(f.loss_correlation, "--loss-correlation"), std::nullopt};
    if (!f.gemodel.empty()) l.gilbert_elliott = gemodel(f.gemodel);
    imp.loss = l;
  }
  if (!f.duplicate.empty()) imp.duplicate = ChanceImpairment{pct(f.duplicate, "--duplicate"), pct(f.duplicate_correlation, "--duplicate-correlation")};
  if (!f.corrupt.empty()) imp.corrupt = ChanceImpairment{pct(f.corrupt, "--corrupt"), pct(f.corrupt_correlation, "--corrupt-correlation")};
  if (!f.reorder.empty()) {
    ReorderImpairment r{pct(f.reorder, "--reorder"), pct(f.reorder_correlation, "--reorder-correlation"), 0};
    if (!f.gap.empty()) r.gap = gap_value(f.gap);
    imp.reorder = r;
  }
}

void build_shaping(const ImpairmentFlags& f, Impairments& imp) {
  if (!f.rate.empty()) {
    BandwidthImpairment b{flag_value(f.rate, "--rate", [](const std::string& t) { return parse_rate_bps(t); }), 0};
    if (!f.burst.empty()) b.burst_bytes = flag_value(f.burst, "--burst", [](const std::string& t) { return parse_size_bytes(t); });
    imp.bandwidth = b;
  }
  if (!f.period.empty()) {
    FlapImpairment fl;
    auto ms = [](const std::string& t) { return parse_duration(t); };
    fl.period = flag_value(f.period, "--period", ms);
    if (!f.down.empty()) fl.down_pct = pct(f.down, "--down");
    if (!f.flap_jitter.empty()) fl.jitter = flag_value(f.flap_jitter, "--flap-jitter", ms);
    imp.flap = fl;
  }
}

}  // namespace

void add_impairment_flags(CLI::App& cmd, ImpairmentFlags& f) {
  cmd.add_option("--delay", f.delay, "Added one-way delay, e.g. 30ms, 500us")->group("Impairments");
  cmd.add_option("--jitter", f.jitter, "Delay variation, e.g. 5ms")->group("Impairments");
  cmd.add_option("--delay-correlation", f.delay_correlation, "Correlation of successive delays, %")->group("Impairments");
  cmd.add_option("--distribution", f.distribution, "Jitter distribution: uniform, normal, pareto, paretonormal")->group("Impairments");
  cmd.add_option("--loss", f.loss, "Random loss, e.g. 1%")->group("Impairments");
  cmd.add_option("--loss-correlation", f.loss_correlation, "Correlation of successive losses, %")->group("Impairments");
  cmd.add_option("--gemodel", f.gemodel, "Gilbert-Elliott loss: P,R[,BAD_LOSS,GOOD_LOSS] in %")->group("Impairments");
  cmd.add_option("--duplicate", f.duplicate, "Duplicate packets, %")->group("Impairments");
  cmd.add_option("--duplicate-correlation", f.duplicate_correlation, "%")->group("Impairments");
  cmd.add_option("--corrupt", f.corrupt, "Corrupt one bit in packets, %")->group("Impairments");
  cmd.add_option("--corrupt-correlation", f.corrupt_correlation, "%")->group("Impairments");
  cmd.add_option("--reorder", f.reorder, "Send packets ahead of delayed ones, % (needs --delay)")->group("Impairments");
  cmd.add_option("--reorder-correlation", f.reorder_correlation, "%")->group("Impairments");
  cmd.add_option("--gap", f.gap, "Reorder every GAP-th packet")->group("Impairments");
  cmd.add_option("--rate", f.rate, "Bandwidth cap, e.g. 10mbit, 512kbit")->group("Impairments");
  cmd.add_option("--burst", f.burst, "Burst for the cap, e.g. 32kb")->group("Impairments");
  cmd.add_option("--period", f.period, "Flap period: cut, then restored, every PERIOD, e.g. 2s")->group("Impairments");
  cmd.add_option("--down", f.down, "Share of each period the link is down, % (default 50)")->group("Impairments");
  cmd.add_option("--flap-jitter", f.flap_jitter, "Move each flap switch by up to +/- this, e.g. 100ms")->group("Impairments");
}

Impairments build_impairments(const ImpairmentFlags& f, const std::string& main) {
  Impairments imp;
  if (main == "cut") imp.cut = CutImpairment{};
  build_netem(f, imp);
  build_shaping(f, imp);
  const std::pair<const char*, bool> required[] = {
      {"delay", imp.delay.has_value()}, {"loss", imp.loss.has_value()},       {"duplicate", imp.duplicate.has_value()},
      {"corrupt", imp.corrupt.has_value()}, {"reorder", imp.reorder.has_value()}, {"bandwidth", imp.bandwidth.has_value()},
      {"flap", imp.flap.has_value()}};
  for (const auto& [kind, present] : required) {
    if (main == kind && !present) {
      const std::string flag = main == "bandwidth" ? "--rate" : main == "flap" ? "--period" : "--" + main;
      throw FieldError(flag, "is required by `apply " + main + "`");
    }
  }
  return imp;
}

}  // namespace injector::cli
