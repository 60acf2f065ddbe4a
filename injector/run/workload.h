#pragma once
// The drill's built-in payment workload on a thread of its own: open-loop
// payments through the system's public API (the inventory's payments-api,
// or the playbook's `workload.payments.api`), each attempt fed live to the
// recorder the guards read. Each payment is counted in its payer's home
// datacenter, from the system's unit map (GET the dialect's units path,
// /v1/units by default).

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "injector/drill/recorder.h"
#include "injector/drill/traffic.h"
#include "injector/fleet/inventory.h"
#include "injector/playbook/playbook.h"

namespace injector::run {

class Workload {
 public:
  Workload() = default;
  ~Workload();  // abandons what is in flight and joins
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Throws std::invalid_argument when there is no payment API to talk to.
  void start(const playbook::Playbook& pb, const fleet::Inventory* inv, const std::string& run_id,
             drill::Recorder& recorder);
  bool started() const { return thread_.joinable() || done_; }

  // Sends no new payment, then waits until every payment sent is final or
  // given up; give_up() (polled every 50 ms) abandons the wait.
  void finish(const std::function<bool()>& give_up);

  std::function<std::string(std::int64_t)> dc_of() const;
  const std::vector<std::string>& datacenters() const { return datacenters_; }
  const std::vector<drill::SentPayment>& payments() const { return payments_; }
  const std::string& api_url() const { return plan_.api_url; }
  const drill::PaymentsDialect& dialect() const { return plan_.dialect; }
  const std::string& key_prefix() const { return plan_.key_prefix; }

 private:
  void load_unit_map();

  drill::TrafficPlan plan_;
  std::vector<std::string> home_;  // unit -> its home datacenter
  std::vector<std::string> datacenters_;
  std::vector<drill::SentPayment> payments_;
  std::atomic<bool> abandon_{false}, no_new_{false}, running_{false};
  bool done_ = false;
  std::thread thread_;
};

// The payment API's base URL: the playbook's, else the inventory's payments-api service.
std::string payments_api_url(const playbook::PaymentsWorkload& w, const fleet::Inventory* inv);

}  // namespace injector::run
