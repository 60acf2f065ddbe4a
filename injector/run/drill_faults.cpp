#include "injector/run/drill_faults.h"

#include <algorithm>

#include "injector/drill/traffic.h"
#include "injector/fleet/operations.h"
#include "injector/playbook/inject_plan.h"

namespace injector::run {
namespace {

using Steady = std::chrono::steady_clock;

std::string host_error(const fleet::HostResult& r) {
  return r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error;
}

// A revert that a host did not confirm is sent again this many times: the
// lease ends the fault on a host we cannot reach, but only a confirmation
// lets the drill say the host is clean.
constexpr int kRevertTries = 3;

}  // namespace

const char* to_string(FaultState s) {
  switch (s) {
    case FaultState::applying: return "applying";
    case FaultState::active: return "active";
    case FaultState::failed: return "failed";
    case FaultState::reverting: return "reverting";
    case FaultState::reverted: return "reverted";
    case FaultState::unconfirmed: return "unconfirmed";
  }
  return "?";
}

DrillFaults::DrillFaults(FaultOptions options) : options_(std::move(options)) {
  keeper_ = std::thread([this] { keep(); });
  renewer_ = std::thread([this] { renew(); });
}

DrillFaults::~DrillFaults() {
  try {
    revert_all();
  } catch (...) {
    // A destructor must not throw; the leases end what could not be reverted.
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  keeper_.join();
  renewer_.join();
}

std::size_t DrillFaults::inject(const playbook::Step& step, const playbook::InjectStep& inject) {
  fleet::PlanOptions plan_options = playbook::inject_plan_options(*options_.playbook, step, inject);
  for (const auto& [k, v] : options_.labels) plan_options.labels[k] = v;
  FaultRecord rec;
  rec.plan = playbook::plan_inject(inject, *options_.inventory, plan_options);
  rec.step_id = step.id;
  rec.step_path = step.path;
  rec.description = rec.plan.description;
  rec.duration = inject.duration;
  for (const auto& f : rec.plan.faults) rec.hosts.push_back({f.host, "", 0, false, ""});
  rec.requested_us = drill::unix_now_us();
  const fleet::Plan plan = rec.plan;
  std::size_t index = 0;
  {
    std::lock_guard lock(mu_);  // registered: from here on revert_all() undoes it
    faults_.push_back(std::move(rec));
    index = faults_.size() - 1;
  }
  const fleet::ApplyReport report = fleet::apply_plan(plan, options_.apply_calls);
  std::lock_guard lock(mu_);
  FaultRecord& f = faults_[index];
  const auto& answers = report.last_phase();
  for (std::size_t i = 0; i < answers.size() && i < f.hosts.size(); ++i) {
    f.hosts[i].fault_id = answers[i].body.value("id", "");
    if (const auto at = fleet::activated_at(answers[i])) f.hosts[i].activated_us = fleet::unix_us(*at);
    if (!answers[i].ok()) f.hosts[i].error = host_error(answers[i]);
  }
  if (report.ok()) {
    f.state = FaultState::active;
    for (const auto& h : f.hosts) f.active_us = std::max(f.active_us, h.activated_us);
    if (f.active_us == 0) f.active_us = drill::unix_now_us();
    f.planned_end_us = f.active_us + std::chrono::microseconds(f.duration).count();
  } else {
    const bool undone = std::all_of(report.rollback.begin(), report.rollback.end(), [](const auto& r) { return r.ok(); });
    f.state = undone ? FaultState::failed : FaultState::unconfirmed;
    f.error = "not applied on every host";
    for (const auto& h : f.hosts) {
      if (!h.error.empty()) f.error += "; " + h.host->name + ": " + h.error;
    }
    f.error += undone ? "; undone on all of them" : "; the undo was NOT confirmed by";
    for (const auto& r : report.rollback) {
      if (!r.ok()) f.error += " " + r.host->name + " (" + host_error(r) + ")";
    }
  }
  changed_.notify_all();
  return index;
}

bool DrillFaults::revert(std::size_t index) {
  std::vector<const fleet::Host*> hosts;
  std::string operation;
  {
    std::unique_lock lock(mu_);
    FaultRecord& f = faults_[index];
    changed_.wait(lock, [&] { return f.state != FaultState::reverting && f.state != FaultState::applying; });
    if (f.state == FaultState::reverted || f.state == FaultState::failed) return true;
    if (f.state == FaultState::unconfirmed && f.revert_sent_us == 0) return false;  // its apply's undo was not confirmed
    f.state = FaultState::reverting;
    if (f.revert_sent_us == 0) f.revert_sent_us = drill::unix_now_us();
    hosts = fleet::plan_hosts(f.plan);
    operation = f.plan.operation;
  }
  std::vector<fleet::HostResult> results = fleet::revert_on(hosts, operation, options_.revert_calls);
  for (int attempt = 1; attempt < kRevertTries; ++attempt) {
    std::vector<const fleet::Host*> again;
    for (const auto& r : results) if (!r.ok()) again.push_back(r.host);
    if (again.empty()) break;
    auto retried = fleet::revert_on(again, operation, options_.revert_calls);
    for (auto& r : results) {
      for (auto& n : retried) if (!r.ok() && n.host == r.host) r = n;
    }
  }
  const bool confirmed = std::all_of(results.begin(), results.end(), [](const auto& r) { return r.ok(); });
  finish_revert(index, std::move(results));
  return confirmed;
}

void DrillFaults::finish_revert(std::size_t index, std::vector<fleet::HostResult> results) {
  std::lock_guard lock(mu_);
  FaultRecord& f = faults_[index];
  bool confirmed = true;
  for (const auto& r : results) {
    for (auto& h : f.hosts) {
      if (h.host != r.host) continue;
      h.reverted = r.ok();
      if (!r.ok()) h.error = "revert not confirmed: " + host_error(r);
    }
    if (!r.ok()) {
      confirmed = false;
      f.error += (f.error.empty() ? "revert not confirmed by " : ", ") + r.host->name;
    }
  }
  f.state = confirmed ? FaultState::reverted : FaultState::unconfirmed;
  if (confirmed) f.revert_confirmed_us = drill::unix_now_us();
  changed_.notify_all();
}

bool DrillFaults::revert_all() {
  std::size_t n = 0;
  {
    std::lock_guard lock(mu_);
    n = faults_.size();
  }
  // One thread per fault: an abort reverts every fault at once, not one after another.
  std::vector<std::thread> threads;
  std::vector<char> ok(n, 0);
  for (std::size_t i = 0; i < n; ++i) threads.emplace_back([this, i, &ok] { ok[i] = revert(i); });
  for (auto& t : threads) t.join();
  return std::all_of(ok.begin(), ok.end(), [](char c) { return c != 0; });
}

std::optional<std::size_t> DrillFaults::find(const std::string& step_id) const {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    if (faults_[i].step_id == step_id) return i;
  }
  return std::nullopt;
}

void DrillFaults::wait_done(std::size_t index, const std::function<bool()>& stop) const {
  std::unique_lock lock(mu_);
  while (!faults_[index].done() && !stop()) changed_.wait_for(lock, std::chrono::milliseconds(50));
}

std::vector<FaultRecord> DrillFaults::records() const {
  std::lock_guard lock(mu_);
  return {faults_.begin(), faults_.end()};
}

bool DrillFaults::all_confirmed() const {
  std::lock_guard lock(mu_);
  return std::all_of(faults_.begin(), faults_.end(),
                     [](const FaultRecord& f) { return f.state == FaultState::reverted || f.state == FaultState::failed; });
}

// Reverts and renewals run on threads of their own: a revert retried
// against a host that hangs must not stall the other faults' leases, nor a
// renewal stuck on one host delay a fault's planned end everywhere.
void DrillFaults::keep() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    changed_.wait_for(lock, std::chrono::milliseconds(20));
    const std::int64_t now = drill::unix_now_us();
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < faults_.size(); ++i) {
      if (faults_[i].state == FaultState::active && faults_[i].planned_end_us <= now) due.push_back(i);
    }
    if (due.empty()) continue;
    lock.unlock();
    for (std::size_t i : due) revert(i);
    lock.lock();
  }
}

void DrillFaults::renew() {
  const auto renew_every = std::max<Steady::duration>(options_.lease / 3, std::chrono::milliseconds(30));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto next_renewal = Steady::now() + renew_every;
    while (!stopping_ && Steady::now() < next_renewal) changed_.wait_until(lock, next_renewal);
    if (stopping_) break;
    lock.unlock();
    renew_leases();
    lock.lock();
  }
}

void DrillFaults::renew_leases() {
  std::vector<fleet::HostCall> calls;
  std::vector<std::size_t> owner;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < faults_.size(); ++i) {
      if (faults_[i].state != FaultState::active) continue;
      for (const auto& h : faults_[i].hosts) {
        calls.push_back({h.host, "POST", "/v1/faults/" + h.fault_id + "/lease", {}});
        owner.push_back(i);
      }
    }
  }
  if (calls.empty()) return;
  // A round waits for its slowest host: bounded by a third of the lease, a
  // host that hangs cannot hold the next round past the others' leases.
  fleet::CallOptions calls_options = options_.revert_calls;
  calls_options.timeout = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease / 3),
                                     std::chrono::milliseconds(30), calls_options.timeout);
  const auto results = fleet::call_all(calls, calls_options);
  std::lock_guard lock(mu_);
  for (std::size_t k = 0; k < results.size(); ++k) {
    // A fault gone before its end (its lease lapsed, or someone else
    // reverted it) means the drill no longer has the fault it asked for.
    if (results[k].status == 404 && faults_[owner[k]].error.empty()) {
      faults_[owner[k]].error = "gone on " + results[k].host->name + " before its planned end";
    }
  }
}

}  // namespace injector::run
