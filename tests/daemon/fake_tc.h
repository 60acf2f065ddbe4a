#pragma once
// A TcBackend that keeps a model of the kernel in memory and records every
// call, for the engine, API and CLI tests. Not thread-safe: configure it
// before any other thread uses it.

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "daemon/tc/handles.h"
#include "daemon/tc/tc_backend.h"

namespace injector::testing {

class FakeTc : public tc::TcBackend {
 public:
  struct Call {
    std::string op;  // "install_root", "remove_root", "install_cut", "remove_fault"
    int ifindex = 0;
    int slot = 0;
    std::size_t rules = 0;
  };

  // Device names the fake knows, with their ifindex; anything else is ifindex 0.
  std::map<std::string, int> devices{{"eth0", 2}, {"eth1", 3}, {"eth9", 9}};
  std::set<int> foreign_roots;         // devices holding someone else's root qdisc
  std::set<int> our_roots;             // devices holding our HTB root right now
  std::map<std::pair<int, int>, std::vector<tc::U32Rule>> cuts;  // (ifindex, slot) -> rules installed
  std::vector<int> leftover_roots;     // what devices_with_our_root() reports
  bool fail_install_root = false;
  bool fail_install_cut = false;
  std::function<void()> on_install_cut;  // runs first thing in install_cut
  std::vector<Call> calls;

  int ifindex(const std::string& device) override {
    auto it = devices.find(device);
    return it == devices.end() ? 0 : it->second;
  }

  tc::RootQdisc root_qdisc(int ifindex) override {
    if (foreign_roots.count(ifindex)) return {tc::RootOwner::foreign, "htb", 0x00010000};
    if (our_roots.count(ifindex)) return {tc::RootOwner::ours, "htb", tc::root_handle()};
    return {tc::RootOwner::kernel_default, "noqueue", 0};
  }

  void install_root(int ifindex) override {
    calls.push_back({"install_root", ifindex, 0, 0});
    if (fail_install_root) throw std::runtime_error("fake: install_root failed");
    if (!our_roots.insert(ifindex).second) throw std::runtime_error("fake: root installed twice");
  }

  void remove_root(int ifindex) override {
    calls.push_back({"remove_root", ifindex, 0, 0});
    our_roots.erase(ifindex);
    for (auto it = cuts.begin(); it != cuts.end();) it = it->first.first == ifindex ? cuts.erase(it) : std::next(it);
  }

  void install_cut(int ifindex, int slot, const std::vector<tc::U32Rule>& rules) override {
    if (on_install_cut) on_install_cut();
    calls.push_back({"install_cut", ifindex, slot, rules.size()});
    if (fail_install_cut) throw std::runtime_error("fake: install_cut failed");
    if (!our_roots.count(ifindex)) throw std::runtime_error("fake: install_cut without a root");
    if (!cuts.emplace(std::make_pair(ifindex, slot), rules).second) throw std::runtime_error("fake: slot in use");
  }

  void remove_fault(int ifindex, int slot) override {
    calls.push_back({"remove_fault", ifindex, slot, 0});
    cuts.erase({ifindex, slot});
  }

  tc::FaultCounters counters(int ifindex, int slot) override {
    return {static_cast<std::uint64_t>(ifindex * 1000 + slot)};
  }

  std::vector<int> devices_with_our_root() override { return leftover_roots; }

  std::size_t count(const std::string& op) const {
    return static_cast<std::size_t>(
        std::count_if(calls.begin(), calls.end(), [&](const Call& c) { return c.op == op; }));
  }
  bool any_install() const { return count("install_root") + count("install_cut") > 0; }
};

}  // namespace injector::testing
