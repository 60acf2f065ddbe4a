// Fuzzes validate(FaultSpec) and validate(Impairments) with specs built
// straight from the fuzz bytes (FuzzedDataProvider), so they see values JSON
// cannot carry or the decoder would clip: NaN, infinities, -0, negative and
// huge durations, full-range integers, non-ASCII names. The CLI builds specs
// in code and relies on validate() alone.
//
// Besides ASan/UBSan, a spec that validates must keep its promises:
//  - every percentage is within 0-100 (what docs/api.md says; the kernel
//    layers scale them without checking again);
//  - it survives the wire: the daemon's strict decoder takes to_json(spec)
//    and gives back the same spec, so the CLI and the daemon agree on what is
//    valid (SpecLimits: "both reject the same things");
//  - a refusal's field and message are strict JSON text with no raw control
//    or invisible character, whatever bytes the device or a label carried
//    (message_check.h).
//
// The seeds in fuzz/corpus/fault_spec_validator_fuzz/ are inputs picked from a
// run, named for what spec() below builds from them; changing spec() changes
// what they decode to (they still work as seeds, just under a stale name).

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "common/fault_json.h"
#include "common/impairments_json.h"
#include "fuzz/message_check.h"

namespace {

using namespace injector;
using nlohmann::json;
using std::chrono::microseconds;
using std::chrono::milliseconds;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

// Boundary and special values half the time, anything the bytes say otherwise.
double odd_double(FuzzedDataProvider& p) {
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return std::numeric_limits<double>::infinity();
    case 2: return -std::numeric_limits<double>::infinity();
    case 3: return -0.0;
    case 4: return std::nextafter(100.0, 200.0);
    case 5: return std::numeric_limits<double>::denorm_min();
    case 6: return p.ConsumeIntegralInRange(-1, 101);
    case 7: return p.ConsumeFloatingPointInRange(-1.0, 101.0);
    default: return p.ConsumeFloatingPoint<double>();
  }
}

// Near the limits validate() enforces, or the type's whole range.
template <class T>
T odd_int(FuzzedDataProvider& p, T near_max) {
  if (p.ConsumeBool()) return p.ConsumeIntegral<T>();
  return p.ConsumeIntegralInRange<T>(std::numeric_limits<T>::is_signed ? T(-1) : T(0), near_max);
}

template <class Duration>
Duration odd_duration(FuzzedDataProvider& p, std::int64_t near_max) {
  return Duration(odd_int<std::int64_t>(p, near_max));
}

Cidr cidr(FuzzedDataProvider& p) {
  Cidr c;
  c.family = p.ConsumeBool() ? Family::v6 : Family::v4;
  c.prefix_len = p.ConsumeIntegralInRange<std::uint8_t>(0, static_cast<std::uint8_t>(c.max_prefix()));
  for (std::size_t i = 0; i < c.addr_len(); ++i) c.addr[i] = p.ConsumeIntegral<std::uint8_t>();
  // Cidr::parse never yields host bits, so neither do we.
  for (std::size_t bit = c.prefix_len; bit < c.max_prefix(); ++bit) c.addr[bit / 8] &= ~(0x80u >> (bit % 8));
  return c;
}

std::optional<PortRange> ports(FuzzedDataProvider& p) {
  if (!p.ConsumeBool()) return std::nullopt;
  return PortRange{p.ConsumeIntegral<std::uint16_t>(), p.ConsumeIntegral<std::uint16_t>()};
}

Impairments impairments(FuzzedDataProvider& p) {
  Impairments imp;
  if (p.ConsumeBool()) imp.cut = CutImpairment{};
  if (p.ConsumeBool()) {
    imp.delay = DelayImpairment{odd_duration<microseconds>(p, 61'000'000), odd_duration<microseconds>(p, 61'000'000),
                                odd_double(p), static_cast<Distribution>(p.ConsumeIntegralInRange(0, 4))};
  }
  if (p.ConsumeBool()) {
    imp.loss = LossImpairment{odd_double(p), odd_double(p), std::nullopt};
    if (p.ConsumeBool()) imp.loss->gilbert_elliott = GilbertElliott{odd_double(p), odd_double(p), odd_double(p), odd_double(p)};
  }
  if (p.ConsumeBool()) imp.duplicate = ChanceImpairment{odd_double(p), odd_double(p)};
  if (p.ConsumeBool()) imp.corrupt = ChanceImpairment{odd_double(p), odd_double(p)};
  if (p.ConsumeBool()) imp.reorder = ReorderImpairment{odd_double(p), odd_double(p), odd_int<std::uint32_t>(p, 2'000'000)};
  if (p.ConsumeBool()) {
    imp.bandwidth = BandwidthImpairment{odd_int<std::uint64_t>(p, 200'000'000'000), odd_int<std::uint32_t>(p, 128u << 20)};
  }
  if (p.ConsumeBool()) {
    imp.flap = FlapImpairment{odd_duration<milliseconds>(p, 4'000'000), odd_double(p),
                              odd_duration<milliseconds>(p, 1'000'000)};
  }
  return imp;
}

FaultSpec spec(FuzzedDataProvider& p) {
  FaultSpec s;
  s.device = p.ConsumeRandomLengthString(20);
  for (int n = p.ConsumeIntegralInRange(0, 3); n > 0; --n) s.match.to.push_back(cidr(p));
  for (int n = p.ConsumeIntegralInRange(0, 3); n > 0; --n) s.match.from.push_back(cidr(p));
  s.match.protocol = static_cast<Protocol>(p.ConsumeIntegralInRange(0, 3));
  s.match.dport = ports(p);
  s.match.sport = ports(p);
  s.direction = static_cast<Direction>(p.ConsumeIntegralInRange(0, 2));
  s.backend = static_cast<Backend>(p.ConsumeIntegralInRange(0, 2));
  s.impairments = impairments(p);
  s.lifetime.duration = odd_duration<milliseconds>(p, 100'000'000);
  for (int n = p.ConsumeIntegralInRange(0, 34); n > 0 && p.remaining_bytes() > 0; --n) {
    std::string key = p.ConsumeRandomLengthString(70);
    s.labels[key] = p.ConsumeRandomLengthString(260);
  }
  return s;
}

void check_pct(double v, const char* field) {
  if (!(v >= 0 && v <= 100)) fail(std::string("validated, yet ") + field + " = " + std::to_string(v));
}

void check_percentages(const Impairments& imp) {
  if (imp.delay) check_pct(imp.delay->correlation_pct, "delay.correlation_pct");
  if (const auto& l = imp.loss) {
    check_pct(l->percent, "loss.percent");
    check_pct(l->correlation_pct, "loss.correlation_pct");
    if (const auto& ge = l->gilbert_elliott) {
      for (double v : {ge->p_pct, ge->r_pct, ge->bad_loss_pct, ge->good_loss_pct}) check_pct(v, "loss.gilbert_elliott");
    }
  }
  for (const auto& c : {imp.duplicate, imp.corrupt}) {
    if (c) check_pct(c->percent, "duplicate/corrupt.percent"), check_pct(c->correlation_pct, "duplicate/corrupt.correlation_pct");
  }
  if (imp.reorder) check_pct(imp.reorder->percent, "reorder.percent"), check_pct(imp.reorder->correlation_pct, "reorder.correlation_pct");
  if (imp.flap) check_pct(imp.flap->down_pct, "flap.down_pct");
}

template <class T, class Decode>
void check_round_trip(const T& value, Decode decode, const char* what) {
  const std::string wire = to_json(value).dump();
  try {
    if (decode(json::parse(wire)) != value) fail(std::string(what) + " changed on the wire: " + wire);
  } catch (const FieldError& e) {
    fail(std::string(what) + " validated, yet the decoder refuses it: " + e.what() + "\n" + wire);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider p(data, size);
  const FaultSpec s = spec(p);
  // The impairments on their own too: validate(FaultSpec) stops at the first
  // bad field, and a random device or match would hide most impairment checks.
  try {
    validate(s.impairments);
    check_percentages(s.impairments);
    check_round_trip(s.impairments, [](const json& j) { return impairments_from_json(j); }, "impairments");
  } catch (const FieldError& e) {
    fuzzing::check_refusal(e);
  }
  try {
    validate(s);
  } catch (const FieldError& e) {
    fuzzing::check_refusal(e);
    return 0;
  }
  check_round_trip(s, [](const json& j) { return fault_spec_from_json(j); }, "spec");
  return 0;
}
