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
    std::string op;  // "install_root", "remove_root", "install_fault", "remove_fault"
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
  bool fail_install_fault = false;
  std::function<void()> on_install_fault;  // runs first thing in install_fault
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

  std::set<int> fail_remove_root;  // devices whose root refuses to go
  void remove_root(int ifindex) override {
    calls.push_back({"remove_root", ifindex, 0, 0});
    if (fail_remove_root.count(ifindex)) throw std::runtime_error("fake: remove_root failed");
    our_roots.erase(ifindex);
    exclusions.erase(ifindex);
    for (auto it = cuts.begin(); it != cuts.end();) it = it->first.first == ifindex ? cuts.erase(it) : std::next(it);
  }

  std::map<std::pair<int, int>, tc::SlotPlan> plans;  // (ifindex, slot) -> plan installed or changed to

  std::map<int, std::vector<tc::U32Rule>> exclusions;  // ifindex -> the exclusion rules on its root
  std::map<std::pair<int, int>, bool> ahead;            // (ifindex, slot) -> filters ahead of the exclusions
  bool fail_install_exclusions = false;

  void install_exclusions(int ifindex, const std::vector<tc::U32Rule>& rules) override {
    calls.push_back({"install_exclusions", ifindex, 0, rules.size()});
    if (fail_install_exclusions) throw std::runtime_error("fake: install_exclusions failed");
    if (!our_roots.count(ifindex)) throw std::runtime_error("fake: install_exclusions without a root");
    exclusions[ifindex] = rules;
  }

  void install_fault(int ifindex, int slot, const tc::SlotPlan& plan, const std::vector<tc::U32Rule>& rules,
                     bool ahead_of_exclusions) override {
    plans[{ifindex, slot}] = plan;
    ahead[{ifindex, slot}] = ahead_of_exclusions;
    if (on_install_fault) on_install_fault();
    calls.push_back({"install_fault", ifindex, slot, rules.size()});
    if (fail_install_fault) throw std::runtime_error("fake: install_fault failed");
    if (!our_roots.count(ifindex)) throw std::runtime_error("fake: install_fault without a root");
    if (!cuts.emplace(std::make_pair(ifindex, slot), rules).second) throw std::runtime_error("fake: slot in use");
  }

  void remove_fault(int ifindex, int slot, bool ahead_of_exclusions) override {
    calls.push_back({"remove_fault", ifindex, slot, 0});
    if (ahead[{ifindex, slot}] != ahead_of_exclusions) throw std::runtime_error("fake: removed from the wrong priorities");
    cuts.erase({ifindex, slot});
  }

  std::uint32_t change_fault(int ifindex, int slot, const tc::SlotPlan& from, std::uint32_t leaf,
                             const tc::SlotPlan& to) override {
    calls.push_back({"change_fault", ifindex, slot, 0});
    if (!cuts.count({ifindex, slot})) throw std::runtime_error("fake: change of a slot not installed");
    if (plans[{ifindex, slot}] != from) throw std::runtime_error("fake: change from a plan the slot does not hold");
    plans[{ifindex, slot}] = to;
    return from.leaf == to.leaf ? leaf : tc::other_leaf_handle(leaf);
  }

  // Encodes where it was asked: packets_dropped = ifindex * 1000 + slot of the leaf.
  tc::FaultCounters counters(int ifindex, std::uint32_t leaf) override {
    return {0, 0, static_cast<std::uint64_t>(ifindex * 1000 + ((leaf >> 16) & 0xfff))};
  }

  std::vector<int> devices_with_our_root() override { return leftover_roots; }

  // Ingress: the fake's ifb for device N is ifindex 100 + N.
  std::set<int> foreign_ingress;  // devices holding someone else's ingress qdisc
  std::set<int> ingress;          // devices with our redirect + ifb now
  std::vector<int> leftover_ifbs;
  bool has_ingress_qdisc(int ifindex) override { return foreign_ingress.count(ifindex) || ingress.count(ifindex); }
  int install_ingress(int ifindex) override {
    calls.push_back({"install_ingress", ifindex, 0, 0});
    if (!ingress.insert(ifindex).second) throw std::runtime_error("fake: ingress installed twice");
    our_roots.insert(100 + ifindex);
    return 100 + ifindex;
  }
  void remove_ingress(int ifindex) override {
    calls.push_back({"remove_ingress", ifindex, 0, 0});
    ingress.erase(ifindex);
    remove_root(100 + ifindex);
  }
  std::vector<int> devices_with_our_ifb() override { return leftover_ifbs; }

  std::size_t count(const std::string& op) const {
    return static_cast<std::size_t>(
        std::count_if(calls.begin(), calls.end(), [&](const Call& c) { return c.op == op; }));
  }
  bool any_install() const { return count("install_root") + count("install_fault") > 0; }
};

}  // namespace injector::testing
