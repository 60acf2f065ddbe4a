#pragma once
// The router's view of who owns each unit, kept fresh by polling the owner
// keys on every etcd endpoint in parallel (one poller each, every 100 ms):
// an endpoint cut off from the quorum fails its linearizable read and the
// others' answers win. An answer never replaces one from a newer revision.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "etcd_client.h"

namespace payments {

class UnitMap {
 public:
  UnitMap(std::vector<std::string> endpoints, std::chrono::milliseconds deadline, int units);
  ~UnitMap();
  void start();
  void stop();

  std::string owner(int unit) const;  // "" = no owner (or never seen)
  std::vector<std::string> owners() const;
  int64_t revision() const;
  // Applies one poll's answer (public for tests).
  void update(const RangeResult& r);

 private:
  std::vector<std::string> endpoints_;
  std::chrono::milliseconds deadline_;
  const int units_;
  mutable std::mutex mu_;
  std::vector<std::string> owners_;
  int64_t revision_ = 0;
  std::atomic<bool> running_{false};
  std::vector<std::thread> pollers_;
};

}  // namespace payments
