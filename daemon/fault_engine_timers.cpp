// The fault engine on the clock: leases renewed, and what is due now —
// armed commits first, then lifetimes and leases that ended, and flaps that
// switch — plus the next moment the daemon's timer must wake for.

#include <spdlog/spdlog.h>

#include "common/duration.h"
#include "common/field_error.h"
#include "daemon/fault_engine.h"
#include "common/strings.h"

namespace injector {

const Fault& FaultEngine::renew(const std::string& id) {
  auto it = faults_.find(id);
  if (it == faults_.end()) throw NotFoundError("no fault with id " + quote_input(id));
  Fault& f = it->second;
  if (!f.lease_deadline) {
    throw FieldError("lifetime.lease_ms", "fault " + id + " was applied without a lease, so there is none to renew",
                     "apply it with lifetime.lease_ms (injector fault apply --hold)");
  }
  f.lease_deadline = clock_() + f.spec.lifetime.lease;
  record();  // so a restart knows the holder was alive until now
  return f;
}

std::vector<std::string> FaultEngine::run_due() {
  commit_armed();
  std::vector<std::string> due;
  const SteadyTime now = clock_();
  for (auto& [id, f] : faults_) {
    if (f.deadline <= now) {
      spdlog::info("fault {} reached the end of its {}", id, f.prepared ? "prepare window uncommitted" : "lifetime");
      if (!f.prepared) ++stats_.lifetime_expiries;
      due.push_back(id);
    } else if (f.lease_deadline && *f.lease_deadline <= now) {
      spdlog::warn("fault {}: its holder did not renew the lease ({}); reverting", id,
                   format_duration(f.spec.lifetime.lease));
      ++lease_expiries_;
      due.push_back(id);
    } else if (f.next_flap && *f.next_flap <= now) {
      switch_flap(f);
    }
  }
  for (const auto& id : due) revert(id);
  return due;
}

// Armed faults whose time has come, first of all: they are the ones on a clock.
void FaultEngine::commit_armed() {
  std::vector<std::string> due;
  for (const auto& [id, f] : faults_) {
    if (f.commit_at && *f.commit_at <= clock_()) due.push_back(id);
  }
  for (const auto& id : due) {
    try {
      commit_now(id);
      journal_due_ = clock_() + kJournalDelay;
    } catch (const std::exception& e) {
      spdlog::error("armed fault {}: commit failed, fault removed: {}", id, e.what());
    }
  }
  if (journal_due_ && *journal_due_ <= clock_()) {
    journal_due_.reset();
    record();
  }
}

std::optional<SteadyTime> FaultEngine::next_deadline() const {
  std::optional<SteadyTime> next;
  auto consider = [&](std::optional<SteadyTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(journal_due_);
  for (const auto& [id, f] : faults_) {
    consider(f.commit_at);
    consider(f.deadline);
    consider(f.lease_deadline);
    consider(f.next_flap);
  }
  return next;
}

}  // namespace injector
