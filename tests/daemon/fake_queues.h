#pragma once
// A QueueBackend that keeps the delay line's queues in memory, for the
// engine's backend-choice tests. Not thread-safe.

#include <map>
#include <stdexcept>

#include "daemon/delayline/queue_backend.h"

namespace injector::testing {

class FakeQueues : public delayline::QueueBackend {
 public:
  std::map<std::uint16_t, delayline::QueuedFault> queues;  // installed now
  bool leftovers = false;
  int fail_install_after = -1;  // >= 0: installs after this many succeed throw
  int installs = 0;

  void install(const delayline::QueuedFault& fault) override {
    if (fail_install_after >= 0 && installs >= fail_install_after) throw std::runtime_error("fake: install refused");
    ++installs;
    if (!queues.emplace(fault.queue, fault).second) throw std::runtime_error("fake: queue already bound");
  }
  void change(std::uint16_t queue, const Impairments& impairments, bool down) override {
    auto& q = queues.at(queue);
    q.impairments = impairments;
    q.down = down;
  }
  void remove(std::uint16_t queue) override {
    if (!queues.erase(queue)) throw std::runtime_error("fake: no such queue");
  }
  delayline::QueueCounters counters(std::uint16_t queue) override {
    delayline::QueueCounters c;
    c.packets_seen = queue;  // distinct per queue, so sums are checkable
    c.packets_sent = 1;
    return c;
  }
  bool has_leftovers() override { return leftovers; }
  void remove_leftovers() override { leftovers = false; }
};

}  // namespace injector::testing
