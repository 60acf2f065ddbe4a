#pragma once
// The lab's sample payment system as tests and benchmarks drive it: the lab
// brought up with --payments under a unique prefix (and down again, whatever
// happens), its services from the inventory, the etcd cluster's leader, and
// faults made by the injector's own fleet code. Simulated users live in the
// payments-api host's namespace; as_user runs code there.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "injector/fleet/inventory.h"
#include "injector/fleet/plan.h"
#include "support/in_netns.h"

namespace injector::testing {

class PaymentsLab {
 public:
  // `scripts/lab up --payments --prefix prefix [extra...]`; throws with the
  // lab's output if it fails (having taken down what it made).
  PaymentsLab(const std::string& repo, const std::string& prefix, const std::vector<std::string>& extra = {});
  ~PaymentsLab();  // `scripts/lab down`; never throws
  PaymentsLab(const PaymentsLab&) = delete;
  PaymentsLab& operator=(const PaymentsLab&) = delete;

  const fleet::Inventory& inventory() const { return inventory_; }
  const std::string& prefix() const { return prefix_; }
  std::string api_url() const;                        // the payments-api service (the router)
  std::string service_url(const std::string& dc) const;  // that datacenter's payment service
  std::string etcd_url(const std::string& dc) const;
  std::vector<std::string> payment_datacenters() const;  // those with a payment service, in inventory order
  std::string users_netns() const;                    // where the payments-api host lives

  template <class F>
  auto as_user(F fn) const {
    return in_netns(users_netns(), std::move(fn));
  }

 private:
  const fleet::Service& service(const std::string& kind, const std::string& dc) const;

  std::string repo_, prefix_;
  fleet::Inventory inventory_;
};

// A datacenter cut off from every other (users included), as
// `injector partition --isolate DC` makes it, with the daemons' activation times.
struct Isolation {
  fleet::Plan plan;
  std::int64_t first_active_us = 0;  // Unix microseconds, from the daemons
  std::int64_t last_active_us = 0;
};
// A lifetime bounds the fault even if the caller dies before reverting it.
Isolation isolate(const PaymentsLab& lab, const std::string& dc,
                  std::chrono::milliseconds lifetime = std::chrono::seconds(120));
// Reverts it on every host; returns when the last host answered (Unix µs).
std::int64_t heal(const Isolation& isolation);

// The etcd cluster, through its v3 JSON gateway, asked from the users' side.
// Datacenter of the current leader, as the first member that answers sees it.
std::string etcd_leader(const PaymentsLab& lab);
// Moves leadership to dc's member (no-op if it leads); waits until it does.
void etcd_move_leader(const PaymentsLab& lab, const std::string& dc);

// One HTTP request from the users' side; throws on no answer. Returns status and JSON body.
struct HttpAnswer {
  int status = 0;
  nlohmann::json body;
  std::string served_by;
};
HttpAnswer http_json(const PaymentsLab& lab, const std::string& method, const std::string& url,
                     const nlohmann::json& body = nullptr, const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace injector::testing
