#include "ownership.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace payments {

using nlohmann::json;

namespace {

std::string owner_value(const std::string& dc) { return json{{"dc", dc}}.dump(); }

}  // namespace

Ownership::Ownership(EtcdClient& etcd, PayConfig config, std::string dc, int64_t lease_ttl_s)
    : etcd_(etcd),
      config_(std::move(config)),
      dc_(std::move(dc)),
      ttl_request_s_(lease_ttl_s),
      started_(Clock::now()),
      seen_owned_(static_cast<size_t>(config_.units), false) {}

Ownership::~Ownership() { stop(); }

void Ownership::start() {
  running_ = true;
  // Two loops, so that a stranded unit read or claim never delays a keepalive.
  thread_ = std::thread([this] {
    while (running_) {
      auto now = Clock::now();
      ensure_lease(now);
      keepalive(now);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  units_thread_ = std::thread([this] {
    while (running_) {
      refresh_units(Clock::now());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

void Ownership::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
  if (units_thread_.joinable()) units_thread_.join();
  int64_t lease;
  {
    std::lock_guard lock(mu_);
    lease = lease_;
    lease_ = 0;
    held_.clear();
  }
  if (lease == 0) return;
  try {
    etcd_.lease_revoke(lease);
  } catch (const EtcdError& e) {
    spdlog::warn("paysvc: revoking lease on exit: {}", e.what());
  }
}

std::optional<int64_t> Ownership::epoch_of(int unit) const {
  std::lock_guard lock(mu_);
  if (lease_ == 0 || Clock::now() - last_ok_ >= ttl_) return std::nullopt;
  auto it = held_.find(unit);
  if (it == held_.end()) return std::nullopt;
  return it->second;
}

std::vector<int> Ownership::held_units() const {
  std::lock_guard lock(mu_);
  std::vector<int> out;
  for (const auto& [u, e] : held_) out.push_back(u);
  return out;
}

bool Ownership::has_lease() const {
  std::lock_guard lock(mu_);
  return lease_ != 0 && Clock::now() - last_ok_ < ttl_;
}

int64_t Ownership::lease_id() const {
  std::lock_guard lock(mu_);
  return lease_;
}

void Ownership::ensure_lease(Clock::time_point now) {
  {
    std::lock_guard lock(mu_);
    if (lease_ != 0) return;
  }
  try {
    auto [id, ttl] = etcd_.lease_grant(ttl_request_s_);
    std::lock_guard lock(mu_);
    lease_ = id;
    ttl_ = std::chrono::seconds(ttl > 0 ? ttl : ttl_request_s_);
    last_ok_ = last_keepalive_ = now;
    spdlog::info("paysvc: dc={} lease {:x} granted, ttl {} s", dc_, id, ttl);
  } catch (const EtcdError& e) {
    spdlog::warn("paysvc: lease grant: {}", e.what());
  }
}

void Ownership::fence_locally(const char* why) {
  // Caller holds mu_. Lost units are claimed back only after a hold-off, so
  // that the takeover DC (polling every 100 ms) wins the race for them.
  if (lease_ != 0 || !held_.empty()) spdlog::warn("paysvc: dc={} fenced locally: {}", dc_, why);
  lease_ = 0;
  held_.clear();
  reclaim_after_ = Clock::now() + 3 * ttl_;
}

void Ownership::keepalive(Clock::time_point now) {
  int64_t lease;
  {
    std::lock_guard lock(mu_);
    lease = lease_;
    if (lease == 0) return;
    // A TTL without a successful keepalive stops serving (epoch_of), but the
    // lease is kept and renewed on: an election elsewhere (no leader for a
    // second or two) must not cost this datacenter its units. etcd extends
    // every lease when a new leader takes over, so the lease is usually still
    // there; if it is not, the keepalive below says so and only then is it
    // given up. Every commit is fenced by etcd meanwhile.
    if (now - last_keepalive_ < ttl_ / 3) return;
    last_keepalive_ = now;
  }
  try {
    int64_t ttl = etcd_.lease_keepalive(lease);
    std::lock_guard lock(mu_);
    if (lease_ != lease) return;
    if (ttl <= 0) return fence_locally("the lease is gone (expired or revoked)");
    last_ok_ = now;
  } catch (const EtcdError& e) {
    spdlog::warn("paysvc: keepalive: {}", e.what());
  }
}

bool Ownership::should_claim(int unit, Clock::time_point now) const {
  // Caller holds mu_.
  const std::string& home = config_.home[static_cast<size_t>(unit)];
  if (home == dc_) return now >= reclaim_after_;
  if (config_.takeover_of(home) != dc_) return false;
  // The home DC's service may simply not have started yet (services of a lab
  // start seconds apart on a loaded machine): take over a unit only once it
  // has been owned and lapsed, or when its home has not come up in 10 s.
  return seen_owned_[static_cast<size_t>(unit)] || now - started_ >= std::max<Clock::duration>(10 * ttl_, std::chrono::seconds(10));
}

void Ownership::refresh_units(Clock::time_point now) {
  int64_t lease;
  {
    std::lock_guard lock(mu_);
    lease = lease_;
  }
  if (lease == 0) return;
  RangeResult r;
  try {
    r = etcd_.range_prefix(kUnitPrefix);
  } catch (const EtcdError& e) {
    spdlog::debug("paysvc: reading unit owners: {}", e.what());
    return;
  }
  std::vector<const KeyValue*> by_unit(static_cast<size_t>(config_.units), nullptr);
  for (const auto& kv : r.kvs) {
    int u = unit_from_owner_key(kv.key);
    if (u >= 0 && u < config_.units) by_unit[static_cast<size_t>(u)] = &kv;
  }
  std::vector<int> to_claim;
  {
    std::lock_guard lock(mu_);
    if (lease_ != lease) return;
    for (int u = 0; u < config_.units; ++u) {
      const KeyValue* kv = by_unit[static_cast<size_t>(u)];
      if (kv && kv->lease == lease) {
        held_[u] = kv->mod_revision;
      } else {
        held_.erase(u);
        if (kv) seen_owned_[static_cast<size_t>(u)] = true;
        else if (should_claim(u, now)) to_claim.push_back(u);
      }
    }
  }
  units_revision_ = r.revision;
  for (int u : to_claim) claim(u, lease);
}

std::optional<int64_t> Ownership::claim(int unit, int64_t lease) {
  Txn t;
  t.compares.push_back({unit_owner_key(unit), CmpTarget::Create, 0});
  t.success.push_back(put_op(unit_owner_key(unit), owner_value(dc_), lease));
  try {
    TxnResult r = etcd_.txn(t);
    if (!r.succeeded) return std::nullopt;
    std::lock_guard lock(mu_);
    if (lease_ == lease) held_[unit] = r.revision;
    spdlog::info("paysvc: dc={} claimed unit {} at epoch {}", dc_, unit, r.revision);
    return r.revision;
  } catch (const EtcdError& e) {
    spdlog::warn("paysvc: claiming unit {}: {}", unit, e.what());
    if (e.definite()) {  // "requested lease not found": the lease is gone
      std::lock_guard lock(mu_);
      if (lease_ == lease) fence_locally("claim refused: the lease is gone");
    }
    return std::nullopt;
  }
}

json Ownership::failback(int unit) {
  std::vector<int> units;
  for (int u = 0; u < config_.units; ++u)
    if (config_.home[static_cast<size_t>(u)] == dc_ && (unit < 0 || unit == u)) units.push_back(u);
  if (unit >= 0 && units.empty())
    throw std::invalid_argument("unit " + std::to_string(unit) + " is not homed at " + dc_);
  int64_t lease = lease_id();
  if (lease == 0 || !has_lease()) throw EtcdError("no lease: this service is fenced", false);
  json out{{"moved", json::array()}, {"already_home", json::array()}, {"failed", json::array()}};
  for (int u : units) {
    RangeResult cur = etcd_.range(unit_owner_key(u));
    if (cur.kvs.empty()) {
      auto epoch = claim(u, lease);
      if (epoch) out["moved"].push_back({{"unit", u}, {"from", nullptr}, {"epoch", *epoch}});
      else out["failed"].push_back(u);
      continue;
    }
    const KeyValue& kv = cur.kvs.front();
    if (kv.lease == lease) {
      out["already_home"].push_back(u);
      continue;
    }
    // Replace the owner in one txn, fenced on the current owner's epoch: its
    // in-flight commits compare that epoch and now fail.
    Txn t;
    t.compares.push_back({unit_owner_key(u), CmpTarget::Mod, kv.mod_revision});
    t.success.push_back(put_op(unit_owner_key(u), owner_value(dc_), lease));
    TxnResult r = etcd_.txn(t);
    if (!r.succeeded) {
      out["failed"].push_back(u);
      continue;
    }
    std::string from = owner_dc(kv.value);
    {
      std::lock_guard lock(mu_);
      if (lease_ == lease) held_[u] = r.revision;
    }
    spdlog::info("paysvc: dc={} failback of unit {} from {} at epoch {}", dc_, u, from, r.revision);
    out["moved"].push_back({{"unit", u}, {"from", from}, {"epoch", r.revision}});
  }
  return out;
}

}  // namespace payments
