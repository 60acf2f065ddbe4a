#pragma once
// Every fault a drill applies, from before it is sent until its revert is
// confirmed. A fault is registered (its operation id and hosts known) before
// any daemon is called, so whatever happens next (a guard trips, the
// operator presses Ctrl-C, a host times out mid-apply) revert_all() knows
// what to undo. A renewer thread holds the faults' leases (a CLI killed
// outright leaves nothing after one lease) and a keeper thread ends each
// fault at its planned end, so foreground and background injects end the
// same way; apart, so that one hung host stalls neither.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "injector/fleet/fleet_client.h"
#include "injector/fleet/plan.h"
#include "injector/playbook/playbook.h"

namespace injector::run {

struct HostRecord {
  const fleet::Host* host = nullptr;
  std::string fault_id;
  std::int64_t activated_us = 0;  // the daemon's word for when its kernel change happened
  bool reverted = false;          // the daemon confirmed the revert
  std::string error;
};

enum class FaultState { applying, active, failed, reverting, reverted, unconfirmed };
const char* to_string(FaultState s);

struct FaultRecord {
  std::string step_id, step_path, description;
  fleet::Plan plan;
  std::chrono::milliseconds duration{0};
  std::int64_t requested_us = 0, active_us = 0, planned_end_us = 0;
  std::int64_t revert_sent_us = 0, revert_confirmed_us = 0;
  FaultState state = FaultState::applying;
  std::vector<HostRecord> hosts;
  std::string error;  // why it failed to apply, or which host did not confirm its revert
  bool done() const { return state == FaultState::failed || state == FaultState::reverted || state == FaultState::unconfirmed; }
};

struct FaultOptions {
  const playbook::Playbook* playbook = nullptr;  // its safety.lease holds every fault
  const fleet::Inventory* inventory = nullptr;
  std::chrono::milliseconds lease{10'000};      // the keeper renews every third of it
  std::map<std::string, std::string> labels;    // on every fault, beside the playbook's: the run's id
  fleet::CallOptions apply_calls;             // prepare and commit
  fleet::CallOptions revert_calls;            // short: a guard's abort waits for them
};

class DrillFaults {
 public:
  explicit DrillFaults(FaultOptions options);
  ~DrillFaults();  // stops the keeper and reverts whatever is left; never throws
  DrillFaults(const DrillFaults&) = delete;
  DrillFaults& operator=(const DrillFaults&) = delete;

  // Registers the fault, then applies it on every host at once (two phases).
  // Returns its index; records() tells how it went. Throws FieldError when
  // the step cannot be planned (nothing was sent).
  std::size_t inject(const playbook::Step& step, const playbook::InjectStep& inject);

  // Thread-safe. Returns whether every host confirmed. A fault another
  // thread is reverting is waited for, never sent twice.
  bool revert(std::size_t index);
  bool revert_all();
  std::optional<std::size_t> find(const std::string& step_id) const;

  // Blocks until the fault is done (its planned end came and it was
  // reverted), or until stop() says so (checked every 50 ms).
  void wait_done(std::size_t index, const std::function<bool()>& stop) const;

  std::vector<FaultRecord> records() const;
  bool all_confirmed() const;  // every fault applied was reverted and confirmed

 private:
  void keep();   // the keeper thread: reverts faults at their planned end
  void renew();  // the renewer thread: holds every active fault's lease
  void renew_leases();
  void finish_revert(std::size_t index, std::vector<fleet::HostResult> results);

  FaultOptions options_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::deque<FaultRecord> faults_;  // a deque: references stay valid as faults are added
  bool stopping_ = false;
  std::thread keeper_, renewer_;
};

}  // namespace injector::run
