#include "support/payments_drill.h"

#include <future>
#include <stdexcept>
#include <thread>

namespace injector::testing {

UnitMap unit_map(const PaymentsLab& lab) {
  const HttpAnswer a = http_json(lab, "GET", lab.api_url() + "/v1/units");
  if (a.status != 200 || !a.body.contains("units")) {
    throw std::runtime_error("GET /v1/units: HTTP " + std::to_string(a.status) + " " + a.body.dump());
  }
  UnitMap m;
  for (const auto& u : a.body["units"]) {
    m.home.push_back(u.at("home").get<std::string>());
    m.owner.push_back(u.at("owner").is_string() ? u["owner"].get<std::string>() : "");
  }
  if (m.home.empty()) throw std::runtime_error("GET /v1/units: no units");
  return m;
}

void fail_back_everything(const PaymentsLab& lab, std::chrono::milliseconds patience) {
  const auto until = std::chrono::steady_clock::now() + patience;
  for (;;) {
    UnitMap m;
    try {
      m = unit_map(lab);
      if (m.all_home()) return;
      for (const auto& dc : lab.payment_datacenters()) {
        http_json(lab, "POST", lab.service_url(dc) + "/v1/units/failback", nlohmann::json::object());
      }
    } catch (const std::exception&) {
      // a service still catching up after a heal: ask again
    }
    if (std::chrono::steady_clock::now() > until) throw std::runtime_error("units did not all move home in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

drill::LedgerVerdict check_ledger(const PaymentsLab& lab, const std::vector<drill::SentPayment>& sent,
                                  const std::string& key_prefix) {
  const HttpAnswer a = http_json(lab, "GET", lab.api_url() + "/v1/ledger/snapshot");
  if (a.status != 200) throw std::runtime_error("GET /v1/ledger/snapshot: HTTP " + std::to_string(a.status));
  return drill::check_ledger(drill::parse_snapshot(a.body), sent, key_prefix);
}

namespace {

void figures(CutOutcome& out, const std::string& dc) {
  const UnitMap& u = out.units;
  auto homed_in_cut = [&](const drill::SentPayment& p) { return u.home[u.unit_of(p.request.from)] == dc; };
  auto homed_elsewhere = [&](const drill::SentPayment& p) { return !homed_in_cut(p); };
  auto everyone = [](const drill::SentPayment&) { return true; };
  const std::int64_t t0 = out.isolation.first_active_us;
  out.rto_us = drill::recovery_us(out.payments, homed_in_cut, t0, dc);
  out.others = drill::longest_interruption(out.payments, homed_elsewhere, t0, out.healed_us);
  out.after_heal = drill::longest_interruption(out.payments, everyone, out.healed_us);
  for (const auto& p : out.payments) {
    const drill::Attempt* a = p.final_attempt();
    if (!a || a->start_us < t0 || a->end_us >= out.healed_us) continue;
    if (homed_in_cut(p)) {
      ++out.cut_units_served_by[a->served_by];
    } else if (a->served_by != u.home[u.unit_of(p.request.from)]) {
      ++out.others_served_away;
    }
  }
}

}  // namespace

CutOutcome run_cut_drill(const PaymentsLab& lab, const CutDrill& d) {
  CutOutcome out;
  out.key_prefix = d.key_prefix;
  out.units = unit_map(lab);
  drill::TrafficPlan plan;
  plan.api_url = lab.api_url();
  plan.rate_per_s = d.rate_per_s;
  plan.duration = d.before + d.hold + d.after;
  plan.key_prefix = d.key_prefix;
  std::atomic<bool> stop{false};
  auto traffic = std::async(std::launch::async, [&] {
    return lab.as_user([&] { return drill::run_traffic(plan, stop); });  // the workers start in the users' namespace
  });
  try {
    std::this_thread::sleep_for(d.before);
    out.isolation = isolate(lab, d.dc);
    std::this_thread::sleep_for(d.hold);
    out.healed_us = heal(out.isolation);
  } catch (...) {
    stop = true;
    traffic.wait();
    throw;
  }
  out.payments = traffic.get();
  out.verdict = check_ledger(lab, out.payments, d.key_prefix);
  figures(out, d.dc);
  return out;
}

}  // namespace injector::testing
