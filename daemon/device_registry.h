#pragma once
// Which devices carry traffic control of ours, on which side, for how many
// faults. A fault's egress side lives on the device itself (our HTB root); its
// ingress side on the device's ifb (the same HTB tree on the ifb, fed by an
// ingress redirect). The first fault on a side builds it, the last one tears
// it down, and nothing of anyone else's is ever touched.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/exclusion.h"
#include "common/fault_spec.h"
#include "daemon/tc/tc_backend.h"

namespace injector {

class DeviceRegistry {
 public:
  explicit DeviceRegistry(tc::TcBackend& backend) : backend_(backend) {}

  // The control-path exclusions every side gets when it is built (with the
  // root it goes); sides built before this call keep what they have.
  void set_exclusions(const std::vector<Exclusion>& exclusions);

  // The ifindex where `side` (egress or ingress) of faults on this device is
  // installed, building it for the first user. Throws ConflictError when the
  // device holds someone else's qdisc there; changes nothing then.
  int acquire(int ifindex, const std::string& name, Direction side);
  // Drops one user of the side: removes that fault's slot, or the whole side
  // (root, or redirect + ifb) when it was the last one. Never throws while
  // `quiet` (used when undoing a failed apply; the first error is what counts).
  // ahead_of_exclusions: where the fault's filters are (it opted out of the exclusions).
  // `slot_installed` false: the fault was only prepared, its slot never made.
  void release(int ifindex, Direction side, int slot, bool ahead_of_exclusions, bool quiet = false,
               bool slot_installed = true);

  nlohmann::json to_json() const;  // for the journal

 private:
  struct State {
    std::string name;
    tc::RootQdisc root_before;  // what to expect back after the last egress fault
    int egress_users = 0;
    int ingress_users = 0;
    int ifb = 0;
  };
  int acquire_egress(int ifindex, State& dev);
  int acquire_ingress(int ifindex, State& dev);
  void teardown(int ifindex, State& dev, Direction side);

  tc::TcBackend& backend_;
  std::map<int, State> devices_;
  std::vector<tc::U32Rule> egress_exclusions_, ingress_exclusions_;
};

}  // namespace injector
