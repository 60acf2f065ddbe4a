#pragma once
// Which units this service owns, through an etcd lease it keeps alive.
//
// A unit's owner key (/pay/unit/NN/owner, {"dc":...}) is put with the
// owner's lease; the key's mod_revision is the unit's epoch, the fencing
// token every payment txn compares. A lapsed lease deletes the key, so a
// stale owner's commit fails in etcd whatever this process believes; locally
// the service also stops claiming its units once its last successful
// keepalive is older than the TTL.
//
// Claims are "create only if absent": home units at start (and, after a lost
// lease, once a hold-off has given the takeover its chance), the units of the
// DC this one takes over when their key disappears. Failback is explicit.

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "config.h"
#include "etcd_client.h"

namespace payments {

class Ownership {
 public:
  Ownership(EtcdClient& etcd, PayConfig config, std::string dc, int64_t lease_ttl_s);
  ~Ownership();

  void start();  // the keepalive and unit-watch threads
  void stop();   // ends it and revokes the lease (the units become free at once)

  // The epoch this service holds the unit at, or nothing (not owned, or fenced locally).
  std::optional<int64_t> epoch_of(int unit) const;
  std::vector<int> held_units() const;
  bool has_lease() const;
  // The etcd revision of the last owner keys this service has seen: every
  // owner present then counts as "seen owned" for takeover.
  int64_t units_revision() const { return units_revision_.load(); }
  int64_t lease_id() const;

  // Moves units homed here back from whoever owns them (unit -1 = all of them).
  // Returns {"moved":[{"unit","from","epoch"}], "already_home":[...], "failed":[...]}.
  // Throws std::invalid_argument for a unit not homed here, EtcdError without a lease.
  nlohmann::json failback(int unit);

 private:
  using Clock = std::chrono::steady_clock;
  void ensure_lease(Clock::time_point now);
  void keepalive(Clock::time_point now);
  void fence_locally(const char* why);
  void refresh_units(Clock::time_point now);
  bool should_claim(int unit, Clock::time_point now) const;
  std::optional<int64_t> claim(int unit, int64_t lease);

  EtcdClient& etcd_;
  const PayConfig config_;
  const std::string dc_;
  const int64_t ttl_request_s_;

  mutable std::mutex mu_;
  int64_t lease_ = 0;
  std::chrono::milliseconds ttl_{1000};
  Clock::time_point last_ok_{};         // when the last successful keepalive (or grant) was sent
  Clock::time_point last_keepalive_{};  // when the last keepalive was sent
  Clock::time_point started_;
  Clock::time_point reclaim_after_{};   // home units wait until then after a lost lease
  std::map<int, int64_t> held_;         // unit -> epoch
  std::vector<bool> seen_owned_;        // unit's key was present at some poll

  std::atomic<int64_t> units_revision_{0};
  std::atomic<bool> running_{false};
  std::thread thread_;        // lease: grant, keepalive, local fencing
  std::thread units_thread_;  // owner keys: refresh and claims
};

}  // namespace payments
