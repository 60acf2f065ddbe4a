#include "common/impairments_json.h"

#include "common/json_reader.h"

namespace injector {
namespace {

using nlohmann::json;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::int64_t kMaxMicros = 3'600'000'000;  // an hour; validate() narrows it

DelayImpairment delay_from(const json& j) {
  JsonObjectReader r(j, "impairments.delay");
  DelayImpairment d;
  d.time = microseconds(r.integer("time_us", 0, 0, kMaxMicros));
  d.jitter = microseconds(r.integer("jitter_us", 0, 0, kMaxMicros));
  d.correlation_pct = r.number("correlation_pct", 0);
  if (auto dist = r.optional_string("distribution")) d.distribution = distribution_from_string(*dist);
  r.reject_unknown("time_us, jitter_us, correlation_pct, distribution");
  return d;
}

LossImpairment loss_from(const json& j) {
  JsonObjectReader r(j, "impairments.loss");
  LossImpairment l;
  l.percent = r.number("percent", 0);
  l.correlation_pct = r.number("correlation_pct", 0);
  if (const json* ge = r.optional("gilbert_elliott")) {
    JsonObjectReader g(*ge, "impairments.loss.gilbert_elliott");
    GilbertElliott model;
    model.p_pct = g.number("p_pct", 0);
    model.r_pct = g.number("r_pct", 100);
    model.bad_loss_pct = g.number("bad_loss_pct", 100);
    model.good_loss_pct = g.number("good_loss_pct", 0);
    g.reject_unknown("p_pct, r_pct, bad_loss_pct, good_loss_pct");
    l.gilbert_elliott = model;
  }
  r.reject_unknown("percent, correlation_pct, gilbert_elliott");
  return l;
}

ChanceImpairment chance_from(const json& j, const std::string& path) {
  JsonObjectReader r(j, path);
  ChanceImpairment c{r.number("percent", 0), r.number("correlation_pct", 0)};
  r.reject_unknown("percent, correlation_pct");
  return c;
}

ReorderImpairment reorder_from(const json& j) {
  JsonObjectReader r(j, "impairments.reorder");
  ReorderImpairment o;
  o.percent = r.number("percent", 0);
  o.correlation_pct = r.number("correlation_pct", 0);
  o.gap = static_cast<std::uint32_t>(r.integer("gap", 0, 0, ReorderImpairment::kMaxGap));
  r.reject_unknown("percent, correlation_pct, gap");
  return o;
}

BandwidthImpairment bandwidth_from(const json& j) {
  JsonObjectReader r(j, "impairments.bandwidth");
  BandwidthImpairment b;
  b.rate_bps = static_cast<std::uint64_t>(r.integer("rate_bps", 0, 0, 1'000'000'000'000));
  b.burst_bytes = static_cast<std::uint32_t>(r.integer("burst_bytes", 0, 0, 1 << 30));
  r.reject_unknown("rate_bps, burst_bytes");
  return b;
}

FlapImpairment flap_from(const json& j) {
  JsonObjectReader r(j, "impairments.flap");
  FlapImpairment f;
  f.period = milliseconds(r.integer("period_ms", 0, 0, 86'400'000));
  f.down_pct = r.number("down_pct", 50);
  f.jitter = milliseconds(r.integer("jitter_ms", 0, 0, 86'400'000));
  r.reject_unknown("period_ms, down_pct, jitter_ms");
  return f;
}

json chance_json(const ChanceImpairment& c) { return {{"percent", c.percent}, {"correlation_pct", c.correlation_pct}}; }

}  // namespace

Impairments impairments_from_json(const json& j) {
  JsonObjectReader r(j, "impairments");
  Impairments imp;
  if (const json* v = r.optional("cut")) {
    JsonObjectReader(*v, "impairments.cut").reject_unknown("no fields: use {}");
    imp.cut = CutImpairment{};
  }
  if (const json* v = r.optional("delay")) imp.delay = delay_from(*v);
  if (const json* v = r.optional("loss")) imp.loss = loss_from(*v);
  if (const json* v = r.optional("duplicate")) imp.duplicate = chance_from(*v, "impairments.duplicate");
  if (const json* v = r.optional("corrupt")) imp.corrupt = chance_from(*v, "impairments.corrupt");
  if (const json* v = r.optional("reorder")) imp.reorder = reorder_from(*v);
  if (const json* v = r.optional("bandwidth")) imp.bandwidth = bandwidth_from(*v);
  if (const json* v = r.optional("flap")) imp.flap = flap_from(*v);
  r.reject_unknown("cut, delay, loss, duplicate, corrupt, reorder, bandwidth, flap");
  return imp;
}

json to_json(const Impairments& imp) {
  json j = json::object();
  if (imp.cut) j["cut"] = json::object();
  if (const auto& d = imp.delay) {
    j["delay"] = {{"time_us", d->time.count()}, {"jitter_us", d->jitter.count()},
                  {"correlation_pct", d->correlation_pct}, {"distribution", to_string(d->distribution)}};
  }
  if (const auto& l = imp.loss) {
    j["loss"] = {{"percent", l->percent}, {"correlation_pct", l->correlation_pct}};
    if (const auto& ge = l->gilbert_elliott) {
      j["loss"]["gilbert_elliott"] = {{"p_pct", ge->p_pct}, {"r_pct", ge->r_pct},
                                      {"bad_loss_pct", ge->bad_loss_pct}, {"good_loss_pct", ge->good_loss_pct}};
    }
  }
  if (imp.duplicate) j["duplicate"] = chance_json(*imp.duplicate);
  if (imp.corrupt) j["corrupt"] = chance_json(*imp.corrupt);
  if (const auto& o = imp.reorder) {
    j["reorder"] = {{"percent", o->percent}, {"correlation_pct", o->correlation_pct}, {"gap", o->gap}};
  }
  if (const auto& b = imp.bandwidth) j["bandwidth"] = {{"rate_bps", b->rate_bps}, {"burst_bytes", b->burst_bytes}};
  if (const auto& f = imp.flap) {
    j["flap"] = {{"period_ms", f->period.count()}, {"down_pct", f->down_pct}, {"jitter_ms", f->jitter.count()}};
  }
  return j;
}

}  // namespace injector
