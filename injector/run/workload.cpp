#include "injector/run/workload.h"

#include <algorithm>
#include <stdexcept>

#include "injector/drill/payments_api.h"

namespace injector::run {

std::string payments_api_url(const playbook::PaymentsWorkload& w, const fleet::Inventory* inv) {
  if (!w.api.empty()) return w.api;
  if (inv) {
    const auto apis = inv->services_of("payments-api");
    if (!apis.empty()) return apis.front()->url;
  }
  throw std::invalid_argument(
      "workload.payments: no payment API: set workload.payments.api, or give an inventory with a service of kind "
      "payments-api");
}

Workload::~Workload() {
  abandon_.store(true);
  no_new_.store(true);
  if (thread_.joinable()) thread_.join();
}

void Workload::start(const playbook::Playbook& pb, const fleet::Inventory* inv, const std::string& run_id,
                     drill::Recorder& recorder) {
  const playbook::PaymentsWorkload& w = *pb.workload.payments;
  plan_.api_url = payments_api_url(w, inv);
  plan_.dialect = w.dialect;
  plan_.rate_per_s = w.rate;
  plan_.duration = pb.safety.max_duration;  // the steps end it sooner (no_new)
  // Enough workers that a whole timeout's worth of payments can be in flight:
  // open loop means a stall shows as latency, never as a lower rate.
  const double in_flight = w.rate * (static_cast<double>(w.timeout.count()) / 1000.0) * 1.5;
  plan_.workers = std::clamp(static_cast<int>(in_flight), 32, 1024);
  plan_.accounts = w.accounts;
  plan_.max_amount_minor = w.amount_max_minor;
  plan_.currency = w.currency;
  plan_.key_prefix = "drill-" + run_id + "-";
  plan_.seed = std::hash<std::string>{}(run_id);
  plan_.attempt_timeout = w.timeout;
  plan_.retry_backoff = w.retry_backoff;
  plan_.give_up_after = w.give_up_after;
  load_unit_map();
  plan_.on_attempt = drill::record_into(recorder, dc_of());
  running_.store(true);
  thread_ = std::thread([this] {
    payments_ = drill::run_traffic(plan_, abandon_, no_new_);
    running_.store(false);
  });
}

// Without a unit map (a user's own API) payments count only overall.
void Workload::load_unit_map() {
  if (plan_.dialect.units.empty()) return;
  try {
    drill::PaymentsApi api(plan_.api_url, std::chrono::seconds(5), plan_.dialect);
    const auto units = api.get_json(plan_.dialect.units);
    for (const auto& u : units.at("units")) {
      home_.push_back(u.at("home").get<std::string>());
      if (std::find(datacenters_.begin(), datacenters_.end(), home_.back()) == datacenters_.end()) {
        datacenters_.push_back(home_.back());
      }
    }
  } catch (const std::exception&) {
    home_.clear();
    datacenters_.clear();
  }
}

std::function<std::string(std::int64_t)> Workload::dc_of() const {
  if (home_.empty()) return {};
  return [home = home_](std::int64_t account) {
    return home[static_cast<std::size_t>(account % static_cast<std::int64_t>(home.size()))];
  };
}

void Workload::finish(const std::function<bool()>& give_up) {
  no_new_.store(true);
  while (running_.load()) {
    if (give_up()) abandon_.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (thread_.joinable()) thread_.join();
  done_ = true;
}

}  // namespace injector::run
