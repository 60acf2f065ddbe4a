#pragma once
// The daemon's faults: validation that needs the kernel, slot allocation,
// lifetimes, the journal, and the order of kernel changes. It talks to the
// kernel only through TcBackend, so it is unit-tested with a fake.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/exclusion.h"
#include "common/fault_spec.h"
#include "daemon/delayline/queue_backend.h"
#include "daemon/device_registry.h"
#include "daemon/engine_stats.h"
#include "daemon/journal.h"
#include "daemon/tc/capabilities.h"
#include "daemon/tc/tc_backend.h"

namespace injector {

// The device holds traffic control that is not ours: refuse, touch nothing (HTTP 409).
class ConflictError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The kernel lacks a feature the fault needs (HTTP 422); names the feature.
class UnsupportedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// No fault with that id (HTTP 404).
class NotFoundError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EngineConfig {
  std::chrono::milliseconds default_lifetime = std::chrono::minutes(10);
  std::chrono::milliseconds max_lifetime = std::chrono::hours(24);
  // What the kernel can do (probed at start); nullopt: not probed, assume everything.
  std::optional<tc::Capabilities> capabilities;
  // Traffic no fault touches unless it opts out (control_path include): the
  // --management list and the API's own listen endpoint (listen_exclusion).
  std::vector<Exclusion> control_exclusions;
};

using SteadyTime = std::chrono::steady_clock::time_point;

// Where a fault's slot is installed: its device (egress) and/or the device's ifb (ingress).
// A delay-line fault is placed on its device with one NFQUEUE per side.
struct Placement {
  Direction side = Direction::egress;
  int ifindex = 0;
  std::uint16_t queue = 0;  // delay line only
  bool installed = true;    // false while the fault is only prepared: its side is ready, its slot not yet there
};

struct Fault {
  std::string id;
  FaultSpec spec;  // lifetime resolved: never 0
  // to_json(spec), made once whenever spec is set: the journal is rewritten on
  // every change of any fault, and a fault may list 10,000 targets.
  nlohmann::json spec_json;
  int ifindex = 0;  // the device named in the spec
  int slot = 0;     // the same on every side; delay-line slots are numbered apart
  Backend backend = Backend::netem;  // resolved: netem (traffic control) or delayline
  std::vector<Placement> placements;
  tc::SlotPlan plan;       // what the slot holds in the kernel now
  std::uint32_t leaf = 0;  // the leaf qdisc's handle now
  bool flap_down = false;
  tc::FaultCounters retired;  // counted by leaves that a flap or an update replaced
  std::optional<SteadyTime> next_flap;  // when a flap switches next
  SteadyTime flap_anchor;               // the unjittered schedule the switches follow
  std::size_t filter_rules = 0;
  std::chrono::system_clock::time_point created_at;    // when it was applied, or prepared
  std::string created_by;  // who applied it: "uid:1000" or "cert:CN=...", kept across restarts
  std::chrono::system_clock::time_point activated_at;  // when it began to act on traffic (commit)
  // Two-phase apply (fleet operations): a prepared fault is decided, journaled
  // and has its device side ready, but matches no traffic until commit.
  bool prepared = false;
  std::map<Direction, std::vector<tc::U32Rule>> pending_rules;  // what commit installs
  std::optional<SteadyTime> commit_at;  // armed: run_due commits it then
  std::vector<Exclusion> excluded;  // the control-path exclusions this fault spares
  // Opted out of the exclusions: its tc filters sit ahead of them.
  bool ahead_of_exclusions() const { return spec.control_path == ControlPath::include; }
  std::chrono::system_clock::time_point expires_at;
  SteadyTime deadline;
  std::optional<SteadyTime> lease_deadline;  // a held fault: reverted unless renewed by then
};

// The fault's spec as JSON (journal, API): the cached spec_json, made afresh
// only for a fault that did not come through apply or update.
nlohmann::json spec_as_json(const Fault& f);

std::string new_fault_id();  // "f-" and 12 random hex digits
std::vector<Direction> sides_of(Direction d);  // both -> egress, ingress

// True when the fault carries every one of these labels (an empty set matches all).
bool has_labels(const Fault& f, const std::map<std::string, std::string>& labels);

class FaultEngine {
 public:
  using Clock = std::function<SteadyTime()>;
  FaultEngine(tc::TcBackend& backend, Journal* journal, EngineConfig config,
              Clock clock = [] { return std::chrono::steady_clock::now(); });
  // The delay line, where the daemon has one; without it only traffic control serves.
  void attach_delay_line(delayline::QueueBackend* queues) { queues_ = queues; }
  bool has_delay_line() const;

  // Removes whatever a previous run of the daemon left in the kernel (our
  // HTB roots), then starts an empty journal. Returns the devices cleaned.
  std::vector<int> cleanup_leftovers();
  // Re-applies the faults a journal (saved by a previous run, loaded before
  // cleanup_leftovers) holds whose lifetime has not ended, with their ids and
  // remaining time. Returns the ids resumed; a fault that fails is logged and dropped.
  std::vector<std::string> resume(const nlohmann::json& saved);

  // Throws FieldError (bad input, nothing changed), ConflictError, or a
  // runtime error from the kernel after undoing any partial change.
  // `created_by` says who applied it (http::PeerCredentials::identity()).
  const Fault& apply(FaultSpec spec, std::string created_by = {});
  // Two-phase apply, so a fleet flips together: prepare does everything but
  // the last step (checks, slot, journal, the device's root or ifb), commit
  // installs the slot so traffic is matched. A prepared fault that is not
  // committed within kPrepareWindow (or its lease) is discarded.
  static constexpr std::chrono::milliseconds kPrepareWindow{60'000};
  const Fault& prepare(FaultSpec spec, std::string created_by = {});
  const Fault& commit(const std::string& id);  // throws NotFoundError, ConflictError if already active
  // Commit at `at` (run_due does it), so hosts with one clock flip together;
  // a time already past commits now. Throws like commit().
  const Fault& arm(const std::string& id, SteadyTime at);
  void revert(const std::string& id);  // throws NotFoundError
  std::vector<std::string> revert_all();
  // Reverts every fault carrying all of these labels (revert_all's rules).
  std::vector<std::string> revert_labelled(const std::map<std::string, std::string>& labels);

  // Changes a live fault's impairments (and, if given, restarts its lifetime)
  // in place: no revert in between. Match and device stay as they are.
  const Fault& update(const std::string& id, const Impairments& impairments,
                      std::optional<std::chrono::milliseconds> lifetime);

  // A held fault's holder is alive: its lease starts again from now. Throws
  // NotFoundError, or FieldError when the fault was applied without a lease.
  const Fault& renew(const std::string& id);
  std::uint64_t lease_expiries() const { return lease_expiries_; }

  // Reverts faults whose lifetime or lease ended and switches flaps that are due.
  // Returns the ids of the faults reverted.
  std::vector<std::string> run_due();
  std::optional<SteadyTime> next_deadline() const;

  const Fault* find(const std::string& id) const;
  std::vector<const Fault*> list() const;
  tc::FaultCounters counters(const Fault& f) const;
  delayline::QueueCounters queue_counters(const Fault& f) const;  // delay-line faults
  const EngineConfig& config() const { return config_; }
  // For GET /metrics: what a fault counted so far, and the engine's totals.
  TrafficTotals traffic(const Fault& f) const;
  const EngineStats& stats() const { return stats_; }
  SteadyTime now() const { return clock_(); }

 private:
  using SideRules = std::map<Direction, std::vector<tc::U32Rule>>;
  const Fault& apply_as(FaultSpec spec, std::string id, std::optional<std::chrono::milliseconds> remaining,
                        std::optional<std::chrono::milliseconds> lease_left, std::string created_by);
  std::pair<Fault, SideRules> build(FaultSpec spec, std::string id, std::optional<std::chrono::milliseconds> remaining,
                                    std::optional<std::chrono::milliseconds> lease_left) const;
  void start_lifetime(Fault& fault, std::optional<std::chrono::milliseconds> remaining,
                      std::optional<std::chrono::milliseconds> lease_left) const;
  void stage(Fault& f, Direction side);
  void commit_armed();
  const Fault& commit_now(const std::string& id);  // commit() without the journal write
  int allocate_slot(int ifindex, Backend backend) const;
  Backend choose_backend(const FaultSpec& spec, int ifindex) const;
  void require_delay_line(const FaultSpec& spec) const;
  std::optional<std::string> netem_mix_conflict(int ifindex, Direction direction, const Impairments& impairments,
                                                const std::string& except_id) const;
  void place(Fault& f, Direction side, const std::vector<tc::U32Rule>& rules);
  void unplace(Fault& f, const Placement& p, bool quiet);
  void change_queues(Fault& f, const Impairments& impairments, bool down);
  std::chrono::milliseconds resolve_lifetime(std::chrono::milliseconds asked) const;
  void install(Fault fault, const std::map<Direction, std::vector<tc::U32Rule>>& rules);
  void uninstall(Fault& fault);
  tc::FaultCounters leaf_counters(const Fault& f) const;
  void require_kernel_features(const tc::SlotPlan& plan, Direction direction) const;
  void switch_flap(Fault& fault);
  void change_slot(Fault& fault, const tc::SlotPlan& next);
  SteadyTime next_flap_time(Fault& fault) const;  // advances fault.flap_anchor
  void record(Durability durability = Durability::power_loss);
  TrafficTotals last_traffic(const Fault& f) const;
  void count_failure(const char* operation);  // inside a catch block
  void retire(const Fault& f, const TrafficTotals& last);

  tc::TcBackend& backend_;
  delayline::QueueBackend* queues_ = nullptr;
  Journal* journal_;
  EngineConfig config_;
  Clock clock_;
  std::map<std::string, Fault> faults_;
  std::uint64_t lease_expiries_ = 0;
  // Armed commits write the journal a little later (kJournalDelay), so on a
  // machine shared by many daemons each one yields the CPU right after its
  // kernel change and the fleet's changes land close together. The prepare
  // record already explains the kernel objects; a crash in between leaves a
  // prepared entry, which restart cleans up rather than resumes.
  static constexpr std::chrono::milliseconds kJournalDelay{20};
  std::optional<SteadyTime> journal_due_;
  EngineStats stats_;
  DeviceRegistry devices_{backend_};
};

}  // namespace injector
