#include "unit_map.h"

namespace payments {

UnitMap::UnitMap(std::vector<std::string> endpoints, std::chrono::milliseconds deadline, int units)
    : endpoints_(std::move(endpoints)), deadline_(deadline), units_(units), owners_(static_cast<size_t>(units)) {}

UnitMap::~UnitMap() { stop(); }

void UnitMap::start() {
  running_ = true;
  for (const auto& ep : endpoints_)
    pollers_.emplace_back([this, ep] {
      EtcdClient etcd({ep}, deadline_);
      while (running_) {
        try {
          update(etcd.range_prefix(kUnitPrefix));
        } catch (const EtcdError&) {
          // This member cannot answer now; the others may.
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
}

void UnitMap::stop() {
  running_ = false;
  for (auto& t : pollers_)
    if (t.joinable()) t.join();
  pollers_.clear();
}

void UnitMap::update(const RangeResult& r) {
  std::vector<std::string> owners(static_cast<size_t>(units_));
  for (const auto& kv : r.kvs) {
    int u = unit_from_owner_key(kv.key);
    if (u >= 0 && u < units_) owners[static_cast<size_t>(u)] = owner_dc(kv.value);
  }
  std::lock_guard lock(mu_);
  if (r.revision < revision_) return;
  revision_ = r.revision;
  owners_ = std::move(owners);
}

std::string UnitMap::owner(int unit) const {
  std::lock_guard lock(mu_);
  if (unit < 0 || unit >= units_) return {};
  return owners_[static_cast<size_t>(unit)];
}

std::vector<std::string> UnitMap::owners() const {
  std::lock_guard lock(mu_);
  return owners_;
}

int64_t UnitMap::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

}  // namespace payments
