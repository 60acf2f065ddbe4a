#include "common/impairments.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "common/field_error.h"
#include "common/impairments_json.h"

namespace {

using injector::BandwidthImpairment;
using injector::ChanceImpairment;
using injector::CutImpairment;
using injector::DelayImpairment;
using injector::Distribution;
using injector::FieldError;
using injector::FlapImpairment;
using injector::GilbertElliott;
using injector::Impairments;
using injector::LossImpairment;
using injector::ReorderImpairment;
using nlohmann::json;
using namespace std::chrono_literals;

// The field validate() names, or "(valid)".
std::string field_of(const Impairments& imp) {
  try {
    injector::validate(imp);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "(valid)";
}

// The field impairments_from_json() names, or "(parsed)".
std::string json_field_of(const json& j) {
  try {
    injector::impairments_from_json(j);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "(parsed)";
}

Impairments with_delay(std::chrono::microseconds time, std::chrono::microseconds jitter = 0us) {
  Impairments imp;
  imp.delay = DelayImpairment{time, jitter, 0, Distribution::none};
  return imp;
}

Impairments with_loss(double percent) {
  Impairments imp;
  imp.loss = LossImpairment{percent, 0, std::nullopt};
  return imp;
}

Impairments with_flap(std::chrono::milliseconds period, double down, std::chrono::milliseconds jitter = 0ms) {
  Impairments imp;
  imp.flap = FlapImpairment{period, down, jitter};
  return imp;
}

Impairments with_rate(std::uint64_t bps, std::uint32_t burst = 0) {
  Impairments imp;
  imp.bandwidth = BandwidthImpairment{bps, burst};
  return imp;
}

TEST(ImpairmentsValidate, NothingGivenNamesImpairments) { EXPECT_EQ(field_of(Impairments{}), "impairments"); }

TEST(ImpairmentsValidate, DelayRanges) {
  EXPECT_EQ(field_of(with_delay(30ms)), "(valid)");
  EXPECT_EQ(field_of(with_delay(0us, 5ms)), "(valid)");  // jitter alone is a delay
  EXPECT_EQ(field_of(with_delay(60s, 60s)), "(valid)");
  EXPECT_EQ(field_of(with_delay(-1us)), "impairments.delay.time_us");
  EXPECT_EQ(field_of(with_delay(60s + 1us)), "impairments.delay.time_us");
  EXPECT_EQ(field_of(with_delay(0us, 0us)), "impairments.delay.time_us");
  EXPECT_EQ(field_of(with_delay(30ms, -1us)), "impairments.delay.jitter_us");
  EXPECT_EQ(field_of(with_delay(30ms, 61s)), "impairments.delay.jitter_us");
  Impairments imp = with_delay(30ms, 5ms);
  imp.delay->correlation_pct = 101;
  EXPECT_EQ(field_of(imp), "impairments.delay.correlation_pct");
  imp.delay->correlation_pct = -1;
  EXPECT_EQ(field_of(imp), "impairments.delay.correlation_pct");
}

TEST(ImpairmentsValidate, DistributionAndCorrelationNeedJitter) {
  Impairments imp = with_delay(30ms);
  imp.delay->distribution = Distribution::normal;
  EXPECT_EQ(field_of(imp), "impairments.delay.distribution");
  imp.delay->jitter = 5ms;
  EXPECT_EQ(field_of(imp), "(valid)");
  imp = with_delay(30ms);
  imp.delay->correlation_pct = 25;
  EXPECT_EQ(field_of(imp), "impairments.delay.correlation_pct");
  imp.delay->jitter = 5ms;
  EXPECT_EQ(field_of(imp), "(valid)");
}

TEST(ImpairmentsValidate, LossRanges) {
  EXPECT_EQ(field_of(with_loss(1)), "(valid)");
  EXPECT_EQ(field_of(with_loss(100)), "(valid)");
  EXPECT_EQ(field_of(with_loss(0)), "impairments.loss.percent");  // a loss of nothing is a typo
  EXPECT_EQ(field_of(with_loss(100.5)), "impairments.loss.percent");
  EXPECT_EQ(field_of(with_loss(-1)), "impairments.loss.percent");
  EXPECT_EQ(field_of(with_loss(std::numeric_limits<double>::quiet_NaN())), "impairments.loss.percent");
  Impairments imp = with_loss(1);
  imp.loss->correlation_pct = 200;
  EXPECT_EQ(field_of(imp), "impairments.loss.correlation_pct");
}

TEST(ImpairmentsValidate, GilbertElliott) {
  Impairments imp = with_loss(0);
  imp.loss->gilbert_elliott = GilbertElliott{1, 10, 70, 0.1};
  EXPECT_EQ(field_of(imp), "(valid)");
  imp.loss->percent = 5;  // random loss and a model at once
  EXPECT_EQ(field_of(imp), "impairments.loss.percent");
  imp.loss->percent = 0;
  imp.loss->gilbert_elliott->p_pct = 0;
  EXPECT_EQ(field_of(imp), "impairments.loss.gilbert_elliott.p_pct");
  imp.loss->gilbert_elliott = GilbertElliott{1, 101, 70, 0};
  EXPECT_EQ(field_of(imp), "impairments.loss.gilbert_elliott.r_pct");
  imp.loss->gilbert_elliott = GilbertElliott{1, 10, 101, 0};
  EXPECT_EQ(field_of(imp), "impairments.loss.gilbert_elliott.bad_loss_pct");
  imp.loss->gilbert_elliott = GilbertElliott{1, 10, 70, -0.5};
  EXPECT_EQ(field_of(imp), "impairments.loss.gilbert_elliott.good_loss_pct");
}

// Found by fuzz/fault_spec_validator_fuzz: beside a model, "percent > 0" was the
// only check, so a negative or NaN random loss passed (the API took -5).
TEST(ImpairmentsValidate, GilbertElliottRefusesNegativeOrNaNPercent) {
  Impairments imp = with_loss(0);
  imp.loss->gilbert_elliott = GilbertElliott{1, 10, 70, 0};
  imp.loss->percent = -5;
  EXPECT_EQ(field_of(imp), "impairments.loss.percent");
  imp.loss->percent = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(field_of(imp), "impairments.loss.percent");
  imp.loss->percent = -0.0;
  EXPECT_EQ(field_of(imp), "(valid)");
  EXPECT_EQ(field_of(injector::impairments_from_json(
                json::parse(R"({"loss": {"percent": -5, "gilbert_elliott": {"p_pct": 1}}})"))),
            "impairments.loss.percent");
}

TEST(ImpairmentsValidate, DuplicateAndCorrupt) {
  Impairments imp;
  imp.duplicate = ChanceImpairment{2, 0};
  imp.corrupt = ChanceImpairment{0.5, 10};
  EXPECT_EQ(field_of(imp), "(valid)");
  imp.duplicate->percent = 0;
  EXPECT_EQ(field_of(imp), "impairments.duplicate.percent");
  imp.duplicate = ChanceImpairment{2, 101};
  EXPECT_EQ(field_of(imp), "impairments.duplicate.correlation_pct");
  imp.duplicate = ChanceImpairment{2, 0};
  imp.corrupt->percent = 120;
  EXPECT_EQ(field_of(imp), "impairments.corrupt.percent");
  imp.corrupt = ChanceImpairment{1, -3};
  EXPECT_EQ(field_of(imp), "impairments.corrupt.correlation_pct");
}

TEST(ImpairmentsValidate, ReorderNeedsDelay) {
  Impairments imp;
  imp.reorder = ReorderImpairment{25, 0, 5};
  EXPECT_EQ(field_of(imp), "impairments.reorder");
  imp.delay = DelayImpairment{0us, 5ms, 0, Distribution::none};  // jitter only: no delay to jump
  EXPECT_EQ(field_of(imp), "impairments.reorder");
  imp.delay->time = 10ms;
  EXPECT_EQ(field_of(imp), "(valid)");
  imp.reorder->percent = 0;
  EXPECT_EQ(field_of(imp), "impairments.reorder.percent");
  imp.reorder = ReorderImpairment{25, 150, 0};
  EXPECT_EQ(field_of(imp), "impairments.reorder.correlation_pct");
}

// Found by fuzz/fault_spec_validator_fuzz: validate() took any gap, so the CLI
// sent a --gap the daemon's decoder (0 to 1,000,000) then refused.
TEST(ImpairmentsValidate, ReorderGapHasTheDecodersLimit) {
  Impairments imp;
  imp.delay = DelayImpairment{10ms, 0us, 0, Distribution::none};
  imp.reorder = ReorderImpairment{25, 0, ReorderImpairment::kMaxGap};
  EXPECT_EQ(field_of(imp), "(valid)");
  EXPECT_EQ(injector::impairments_from_json(injector::to_json(imp)), imp);
  imp.reorder->gap = ReorderImpairment::kMaxGap + 1;
  EXPECT_EQ(field_of(imp), "impairments.reorder.gap");
  imp.reorder->gap = std::numeric_limits<std::uint32_t>::max();
  EXPECT_EQ(field_of(imp), "impairments.reorder.gap");
}

TEST(ImpairmentsValidate, CutCombinedWithAnythingNamesCut) {
  auto cut_plus = [](Impairments imp) {
    imp.cut = CutImpairment{};
    return imp;
  };
  EXPECT_EQ(field_of(cut_plus({})), "(valid)");
  EXPECT_EQ(field_of(cut_plus(with_delay(30ms))), "impairments.cut");
  EXPECT_EQ(field_of(cut_plus(with_loss(1))), "impairments.cut");
  EXPECT_EQ(field_of(cut_plus(with_rate(1'000'000))), "impairments.cut");
  EXPECT_EQ(field_of(cut_plus(with_flap(1s, 50))), "impairments.cut");
  Impairments dup;
  dup.duplicate = ChanceImpairment{1, 0};
  EXPECT_EQ(field_of(cut_plus(dup)), "impairments.cut");
  // Even when the other impairment is itself invalid, the combination is named first.
  EXPECT_EQ(field_of(cut_plus(with_loss(0))), "impairments.cut");
}

TEST(ImpairmentsValidate, FlapBounds) {
  EXPECT_EQ(field_of(with_flap(1s, 30)), "(valid)");
  EXPECT_EQ(field_of(with_flap(100ms, 50)), "(valid)");
  EXPECT_EQ(field_of(with_flap(1h, 50)), "(valid)");
  EXPECT_EQ(field_of(with_flap(99ms, 50)), "impairments.flap.period_ms");
  EXPECT_EQ(field_of(with_flap(1h + 1ms, 50)), "impairments.flap.period_ms");
  EXPECT_EQ(field_of(with_flap(0ms, 50)), "impairments.flap.period_ms");
  EXPECT_EQ(field_of(with_flap(1s, 0)), "impairments.flap.down_pct");
  EXPECT_EQ(field_of(with_flap(1s, 100)), "impairments.flap.down_pct");
  EXPECT_EQ(field_of(with_flap(1s, -5)), "impairments.flap.down_pct");
  EXPECT_EQ(field_of(with_flap(1s, 50, 250ms)), "(valid)");  // a quarter of the period
  EXPECT_EQ(field_of(with_flap(1s, 50, 251ms)), "impairments.flap.jitter_ms");
  EXPECT_EQ(field_of(with_flap(1s, 50, -1ms)), "impairments.flap.jitter_ms");
  // Found by fuzz/fault_spec_validator_fuzz: jitter * 4 overflowed and wrapped to a small value.
  EXPECT_EQ(field_of(with_flap(1s, 50, std::chrono::milliseconds::max())), "impairments.flap.jitter_ms");
  EXPECT_EQ(field_of(with_flap(1h, 50, std::chrono::milliseconds::max() / 4 + 1ms)), "impairments.flap.jitter_ms");
}

TEST(ImpairmentsValidate, BandwidthBounds) {
  EXPECT_EQ(field_of(with_rate(1'000)), "(valid)");
  EXPECT_EQ(field_of(with_rate(100'000'000'000ull)), "(valid)");
  EXPECT_EQ(field_of(with_rate(999)), "impairments.bandwidth.rate_bps");
  EXPECT_EQ(field_of(with_rate(0)), "impairments.bandwidth.rate_bps");
  EXPECT_EQ(field_of(with_rate(100'000'000'001ull)), "impairments.bandwidth.rate_bps");
  EXPECT_EQ(field_of(with_rate(10'000'000, 64u << 20)), "(valid)");
  EXPECT_EQ(field_of(with_rate(10'000'000, (64u << 20) + 1)), "impairments.bandwidth.burst_bytes");
}

TEST(ImpairmentsValidate, ValidCombinations) {
  Impairments imp = with_delay(30ms, 5ms);
  imp.delay->distribution = Distribution::pareto;
  imp.loss = LossImpairment{1, 25, std::nullopt};
  imp.bandwidth = BandwidthImpairment{10'000'000, 32 * 1024};
  EXPECT_EQ(field_of(imp), "(valid)");
  imp.duplicate = ChanceImpairment{1, 0};
  imp.corrupt = ChanceImpairment{0.1, 0};
  imp.reorder = ReorderImpairment{10, 0, 3};
  EXPECT_EQ(field_of(imp), "(valid)");
  Impairments flap = with_flap(2s, 30, 100ms);
  flap.delay = DelayImpairment{50ms, 0us, 0, Distribution::none};
  EXPECT_EQ(field_of(flap), "(valid)");
}

Impairments every_impairment() {
  Impairments imp;
  imp.cut = CutImpairment{};
  imp.delay = DelayImpairment{30'000us, 5'000us, 12.5, Distribution::paretonormal};
  imp.loss = LossImpairment{0, 25, GilbertElliott{1, 10, 70, 0.1}};
  imp.duplicate = ChanceImpairment{2, 5};
  imp.corrupt = ChanceImpairment{0.5, 0};
  imp.reorder = ReorderImpairment{25, 50, 5};
  imp.bandwidth = BandwidthImpairment{10'000'000, 32'768};
  imp.flap = FlapImpairment{2s, 30, 100ms};
  return imp;
}

TEST(ImpairmentsJson, RoundTripOfEveryImpairment) {
  const Impairments imp = every_impairment();  // not a valid fault (cut + more): JSON does not validate
  const json j = injector::to_json(imp);
  for (const char* key : {"cut", "delay", "loss", "duplicate", "corrupt", "reorder", "bandwidth", "flap"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
  }
  EXPECT_EQ(j["delay"]["time_us"], 30000);
  EXPECT_EQ(j["delay"]["distribution"], "paretonormal");
  EXPECT_EQ(j["loss"]["gilbert_elliott"]["bad_loss_pct"], 70.0);
  EXPECT_EQ(j["bandwidth"]["rate_bps"], 10'000'000);
  EXPECT_EQ(j["flap"]["period_ms"], 2000);
  EXPECT_EQ(injector::impairments_from_json(j), imp);
  // Through text, as the API sends it.
  EXPECT_EQ(injector::impairments_from_json(json::parse(j.dump())), imp);
  Impairments loss_only = with_loss(1.5);
  EXPECT_EQ(injector::impairments_from_json(injector::to_json(loss_only)), loss_only);
  EXPECT_EQ(injector::to_json(Impairments{}), json::object());
}

TEST(ImpairmentsJson, DefaultsForOmittedFields) {
  const Impairments imp = injector::impairments_from_json(
      json::parse(R"({"delay": {"time_us": 1000}, "loss": {"gilbert_elliott": {"p_pct": 2}}, "flap": {"period_ms": 500}})"));
  EXPECT_EQ(imp.delay, (DelayImpairment{1000us, 0us, 0, Distribution::none}));
  ASSERT_TRUE(imp.loss && imp.loss->gilbert_elliott);
  EXPECT_EQ(*imp.loss->gilbert_elliott, (GilbertElliott{2, 100, 100, 0}));
  EXPECT_EQ(imp.flap, (FlapImpairment{500ms, 50, 0ms}));
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": null})")), "(parsed)");  // null is absent
}

TEST(ImpairmentsJson, UnknownFieldsNamedWithTheirPath) {
  EXPECT_EQ(json_field_of(json::parse(R"({"loss": {"gilbert_elliott": {"p_pct": 1, "x": 2}}})")),
            "impairments.loss.gilbert_elliott.x");
  EXPECT_EQ(json_field_of(json::parse(R"({"jitter": {}})")), "impairments.jitter");
  EXPECT_EQ(json_field_of(json::parse(R"({"cut": {"hard": true}})")), "impairments.cut.hard");
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": {"time_us": 1, "time_ms": 1}})")), "impairments.delay.time_ms");
  EXPECT_EQ(json_field_of(json::parse(R"({"flap": {"period_ms": 1000, "down": 20}})")), "impairments.flap.down");
  EXPECT_EQ(json_field_of(json::parse(R"({"bandwidth": {"rate": 1}})")), "impairments.bandwidth.rate");
  EXPECT_EQ(json_field_of(json::parse(R"({"reorder": {"percent": 1, "gap": 2, "extra": 0}})")),
            "impairments.reorder.extra");
}

TEST(ImpairmentsJson, WrongTypesNamed) {
  EXPECT_EQ(json_field_of(json::array()), "impairments");
  EXPECT_EQ(json_field_of(json::parse(R"({"cut": true})")), "impairments.cut");
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": 30})")), "impairments.delay");
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": {"time_us": "30ms"}})")), "impairments.delay.time_us");
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": {"time_us": 1, "distribution": 3}})")),
            "impairments.delay.distribution");
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": {"time_us": 1, "distribution": "gaussian"}})")),
            "impairments.delay.distribution");
  EXPECT_EQ(json_field_of(json::parse(R"({"loss": {"percent": "5%"}})")), "impairments.loss.percent");
  EXPECT_EQ(json_field_of(json::parse(R"({"loss": {"percent": true}})")), "impairments.loss.percent");
  EXPECT_EQ(json_field_of(json::parse(R"({"loss": {"gilbert_elliott": [1, 2]}})")),
            "impairments.loss.gilbert_elliott");
  EXPECT_EQ(json_field_of(json::parse(R"({"duplicate": {"percent": "x"}})")), "impairments.duplicate.percent");
  EXPECT_EQ(json_field_of(json::parse(R"({"corrupt": {"correlation_pct": {}}})")),
            "impairments.corrupt.correlation_pct");
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": {"time_us": -1}})")), "impairments.delay.time_us");
  EXPECT_EQ(json_field_of(json::parse(R"({"bandwidth": {"rate_bps": -8}})")), "impairments.bandwidth.rate_bps");
}

TEST(ImpairmentsJson, FractionalIntegersRejected) {
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": {"time_us": 1.5}})")), "impairments.delay.time_us");
  EXPECT_EQ(json_field_of(json::parse(R"({"delay": {"time_us": 1, "jitter_us": 0.5}})")),
            "impairments.delay.jitter_us");
  EXPECT_EQ(json_field_of(json::parse(R"({"reorder": {"percent": 1, "gap": 2.5}})")), "impairments.reorder.gap");
  EXPECT_EQ(json_field_of(json::parse(R"({"bandwidth": {"rate_bps": 1000000.5}})")),
            "impairments.bandwidth.rate_bps");
  EXPECT_EQ(json_field_of(json::parse(R"({"bandwidth": {"rate_bps": 1000000, "burst_bytes": 1.25}})")),
            "impairments.bandwidth.burst_bytes");
  EXPECT_EQ(json_field_of(json::parse(R"({"flap": {"period_ms": 1000.5}})")), "impairments.flap.period_ms");
  EXPECT_EQ(json_field_of(json::parse(R"({"flap": {"period_ms": 1000, "jitter_ms": 0.1}})")),
            "impairments.flap.jitter_ms");
  // Percentages are numbers, fractions welcome.
  EXPECT_EQ(injector::impairments_from_json(json::parse(R"({"loss": {"percent": 0.25}})")).loss->percent, 0.25);
}

}  // namespace
