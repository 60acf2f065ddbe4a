#include "daemon/device_registry.h"

#include <spdlog/spdlog.h>

#include "daemon/fault_engine.h"
#include "daemon/tc/exclusion_rules.h"

namespace injector {
namespace {

std::string root_text(const tc::RootQdisc& r) {
  char handle[16];
  std::snprintf(handle, sizeof handle, "%x:", r.handle >> 16);
  return (r.kind.empty() ? std::string("none") : r.kind) + " " + handle;
}

}  // namespace

void DeviceRegistry::set_exclusions(const std::vector<Exclusion>& exclusions) {
  egress_exclusions_ = tc::exclusion_rules(exclusions, Direction::egress);
  ingress_exclusions_ = tc::exclusion_rules(exclusions, Direction::ingress);
}

int DeviceRegistry::acquire(int ifindex, const std::string& name, Direction side) {
  auto [it, fresh] = devices_.try_emplace(ifindex, State{name, {}, 0, 0, 0});
  try {
    return side == Direction::ingress ? acquire_ingress(ifindex, it->second) : acquire_egress(ifindex, it->second);
  } catch (...) {
    if (it->second.egress_users + it->second.ingress_users == 0) devices_.erase(it);
    throw;
  }
}

int DeviceRegistry::acquire_egress(int ifindex, State& dev) {
  if (dev.egress_users == 0) {
    const tc::RootQdisc root = backend_.root_qdisc(ifindex);
    if (root.owner == tc::RootOwner::foreign) {
      throw ConflictError("device " + dev.name + " has a root qdisc (" + root_text(root) +
                          ") that injectord does not own; refusing to touch it. Remove it or use another device.");
    }
    if (root.owner == tc::RootOwner::ours) {
      throw ConflictError("device " + dev.name + " has an injectord root qdisc (fa17:) that this daemon "
                          "does not hold; is another injectord running in this network namespace?");
    }
    dev.root_before = root;
    backend_.install_root(ifindex);
    try {
      if (!egress_exclusions_.empty()) backend_.install_exclusions(ifindex, egress_exclusions_);
    } catch (...) {
      backend_.remove_root(ifindex);
      throw;
    }
  }
  ++dev.egress_users;
  return ifindex;
}

int DeviceRegistry::acquire_ingress(int ifindex, State& dev) {
  if (dev.ingress_users == 0) {
    if (backend_.has_ingress_qdisc(ifindex)) {
      throw ConflictError("device " + dev.name + " has an ingress or clsact qdisc that injectord does not own; "
                          "refusing to touch it. Remove it, or use egress faults on the peer instead.");
    }
    dev.ifb = backend_.install_ingress(ifindex);
    try {
      if (!ingress_exclusions_.empty()) backend_.install_exclusions(dev.ifb, ingress_exclusions_);
    } catch (...) {
      backend_.remove_ingress(ifindex);
      throw;
    }
  }
  ++dev.ingress_users;
  return dev.ifb;
}

void DeviceRegistry::release(int ifindex, Direction side, int slot, bool ahead_of_exclusions, bool quiet,
                             bool slot_installed) {
  auto it = devices_.find(ifindex);
  if (it == devices_.end()) return;
  State& dev = it->second;
  int& users = side == Direction::ingress ? dev.ingress_users : dev.egress_users;
  try {
    if (users == 1) {
      teardown(ifindex, dev, side);  // one step removes every class, leaf and filter of the side
    } else if (slot_installed) {
      backend_.remove_fault(side == Direction::ingress ? dev.ifb : ifindex, slot, ahead_of_exclusions);
    }
  } catch (const std::exception& e) {
    if (!quiet) throw;
    spdlog::error("undoing a failed apply on {}: {}", dev.name, e.what());
  }
  --users;
  if (dev.egress_users + dev.ingress_users == 0) devices_.erase(it);
}

void DeviceRegistry::teardown(int ifindex, State& dev, Direction side) {
  if (side == Direction::ingress) {
    backend_.remove_ingress(ifindex);
    return;
  }
  backend_.remove_root(ifindex);
  const tc::RootQdisc now = backend_.root_qdisc(ifindex);
  if (now.kind != dev.root_before.kind && backend_.ifindex(dev.name) != 0) {
    spdlog::warn("{}: root qdisc is now {} but was {} before the first fault", dev.name, root_text(now),
                 root_text(dev.root_before));
  }
}

nlohmann::json DeviceRegistry::to_json() const {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& [ifindex, d] : devices_) {
    devices.push_back({{"ifindex", ifindex},
                       {"name", d.name},
                       {"egress_faults", d.egress_users},
                       {"ingress_faults", d.ingress_users},
                       {"ifb_ifindex", d.ifb},
                       {"root_before", {{"kind", d.root_before.kind}, {"handle", d.root_before.handle}}}});
  }
  return devices;
}

}  // namespace injector
