#include "injector/run/drill_run.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "injector/drill/failover.h"
#include "injector/playbook/drill_plan.h"
#include "injector/drill/history.h"
#include "injector/drill/probes.h"
#include "injector/drill/recorder.h"
#include "injector/drill/traffic.h"
#include "injector/report/report_files.h"
#include "injector/run/drill_report.h"
#include "injector/run/guard_watch.h"
#include "injector/run/invariants.h"
#include "injector/run/judge_steps.h"
#include "injector/run/preflight.h"
#include "injector/run/progress.h"
#include "injector/run/run_actions.h"
#include "injector/run/steps.h"
#include "injector/run/workload.h"
#include "injector/stop_signal.h"

namespace injector::run {
namespace {

std::string new_run_id() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return buf;
}

// Everything one run holds, in the order it is built and torn down.
class Drill {
 public:
  explicit Drill(const RunConfig& config);
  RunResult run();

 private:
  bool stopping() const;
  // The guard thread adds its verdict while the main thread may add its own.
  void note(Verdict v, const std::string& reason);
  void abort(Verdict why, const std::string& reason);
  void on_guard_trip(const GuardOutcome& g);
  void start_workload();
  void start_probes();
  void rollback();
  void finish_workload();
  RunResult conclude();
  void write_files(const nlohmann::json& report, const DrillFacts& facts);

  const RunConfig& cfg_;
  const playbook::Playbook& pb_;
  const std::string run_id_ = new_run_id();
  const std::int64_t started_us_ = drill::unix_now_us();
  const std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::now() + pb_.safety.max_duration;
  drill::Recorder recorder_{started_us_};
  Workload workload_;
  Sources live_;
  VerdictBook verdict_;
  std::optional<PreflightResult> preflight_;
  std::unique_ptr<drill::ProbeRunner> probes_;
  std::unique_ptr<DrillFaults> faults_;
  std::unique_ptr<GuardWatch> guards_;
  std::unique_ptr<StepRunner> steps_;
  std::atomic<bool> aborted_{false};
  std::mutex abort_mu_;
  AbortTimes abort_times_;
  bool interrupted_ = false;
};

Drill::Drill(const RunConfig& config) : cfg_(config), pb_(*config.playbook) { live_.no_faults = config.no_faults; }

bool Drill::stopping() const {
  return aborted_.load() || cli::stop_requested() || std::chrono::steady_clock::now() >= deadline_;
}

void Drill::note(Verdict v, const std::string& reason) {
  std::lock_guard lock(abort_mu_);
  verdict_.add(v, reason);
}

void Drill::abort(Verdict why, const std::string& reason) {
  note(why, reason);
  aborted_.store(true);
}

// On the guard thread: revert first, then tell the steps.
void Drill::on_guard_trip(const GuardOutcome& g) {
  aborted_.store(true);
  const std::int64_t sent = drill::unix_now_us();
  const bool confirmed = faults_ ? faults_->revert_all() : true;
  std::lock_guard lock(abort_mu_);
  abort_times_ = {sent, confirmed ? drill::unix_now_us() : 0};
  verdict_.add(Verdict::guard_aborted, "guard " + g.guard->name + " tripped (" + g.guard->expect.path + ")");
}

RunResult Drill::run() {
  cli::watch_stop_signals();
  if (!cfg_.no_faults) {
    preflight_ = preflight(*cfg_.inventory, pb_.safety, cfg_.force, {});
    if (!preflight_->ok()) {
      verdict_.add(Verdict::preflight_refused, "preflight refused: " + preflight_->problems.front());
      return conclude();
    }
    FaultOptions fo;
    fo.playbook = &pb_;
    fo.inventory = cfg_.inventory;
    fo.lease = pb_.safety.lease;
    fo.labels = {{"drill.run", run_id_}};
    fo.revert_calls.timeout = std::chrono::seconds(2);
    faults_ = std::make_unique<DrillFaults>(fo);
  }
  start_workload();
  start_probes();
  guards_ = std::make_unique<GuardWatch>(pb_.guards, live_, [this](const GuardOutcome& g) { on_guard_trip(g); });
  StepContext ctx;
  ctx.faults = faults_.get();
  ctx.live = &live_;
  ctx.stopping = [this] { return stopping(); };
  ctx.on_first_fault = [this] { guards_->start(); };
  ctx.run_action = [](const playbook::RunAction& a) { return run_action(a); };
  ctx.fail_drill = [this](const std::string& why) { abort(Verdict::unknown, why); };
  // A `run` action that did not do what the playbook says (a failback that
  // answered 503) fails the drill, which goes on: its later steps still tell.
  ctx.step_failed = [this](const std::string& why) { note(Verdict::expectation_failed, why); };
  steps_ = std::make_unique<StepRunner>(ctx);
  {
    Progress progress(cfg_.progress, cfg_.progress_is_tty, recorder_, started_us_,
                      [this] { return progress_state(*steps_, faults_.get(), *guards_); });
    steps_->run(pb_.steps);
    rollback();
    finish_workload();
  }
  return conclude();
}

void Drill::start_workload() {
  if (!pb_.workload.payments) return;
  workload_.start(pb_, cfg_.inventory, run_id_, recorder_);
  live_.recorder = &recorder_;
  live_.dc_of = workload_.dc_of();
}

void Drill::start_probes() {
  if (pb_.probes.empty()) return;
  probes_ = std::make_unique<drill::ProbeRunner>(pb_.probes);
  probes_->start();
  live_.probe_fraction = [this](const std::string& name, drill::Window w) {
    return probes_->success_fraction(name, w.from_us, w.to_us);
  };
}

// Every exit path comes through here: steps done, guard abort, fault that
// would not apply, Ctrl-C, SIGTERM, max_duration.
void Drill::rollback() {
  if (cli::stop_requested()) {
    interrupted_ = true;
    note(Verdict::interrupted, "interrupted by the operator; every fault was rolled back");
  } else if (std::chrono::steady_clock::now() >= deadline_ && !aborted_) {
    note(Verdict::guard_aborted, "safety.max_duration reached; every fault was rolled back");
  }
  if (faults_ && !faults_->revert_all()) {
    for (const auto& f : faults_->records()) {
      if (f.state == FaultState::unconfirmed) note(Verdict::rollback_incomplete, f.description + ": " + f.error);
    }
  }
  guards_->stop();
  if (probes_) probes_->stop();
}

void Drill::finish_workload() {
  // A second Ctrl-C stops waiting for the payments in flight.
  workload_.finish([] { return cli::stop_count() >= 2; });
}

nlohmann::json probes_json(const std::vector<playbook::Probe>& probes, const drill::ProbeRunner& runner,
                           std::int64_t started_us) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : probes) {
    const auto c = runner.counts(p.name, started_us, drill::unix_now_us() + 1);
    const char* kinds[] = {"http", "command", "prometheus"};
    out.push_back({{"name", p.name}, {"kind", kinds[p.check.index()]}, {"ok", c.ok}, {"fail", c.fail}, {"unknown", c.unknown}});
  }
  return out;
}

// When each fault held, for the failover figures and rto's baseline.
std::vector<drill::FaultSpan> fault_spans(const std::vector<FaultRecord>& faults) {
  std::vector<drill::FaultSpan> out;
  for (const auto& f : faults) {
    if (!f.active_us) continue;
    const std::int64_t healed = f.revert_confirmed_us ? f.revert_confirmed_us : f.revert_sent_us;
    out.push_back({f.step_id.empty() ? f.step_path : f.step_id, f.active_us,
                   healed ? std::optional<std::int64_t>(healed) : std::nullopt});
  }
  return out;
}

void add_failover(DrillFacts& f, Sources& after, const playbook::Recovery& recovery) {
  const auto spans = fault_spans(f.faults);
  after.baseline = drill::baseline_before(f.started_us, spans);
  after.recovery = recovery;
  if (!f.payments || spans.empty()) return;
  const drill::FailoverInput input{drill::unix_now_us(), after.baseline, recovery};
  f.failover = drill::to_json(drill::failover_figures(*f.payments, after.dc_of, spans, input));
}

// The judgements that need the whole run: expectations, invariants, guards
// that never saw anything.
void judge_all(DrillFacts& f, const Sources& after, const StepRunner* steps, const Workload& workload,
               bool read_the_ledger, VerdictBook& verdict) {
  if (steps) f.expectations = judge_steps(steps->expectations(), f.steps, f.faults, after, f.started_us);
  for (const auto& x : f.expectations) {
    if (x.measured.result == Judged::fail) verdict.add(Verdict::expectation_failed, x.expect->path + ": " + x.measured.detail);
    if (x.measured.result == Judged::unknown) verdict.add(Verdict::unknown, x.expect->path + ": " + x.measured.detail);
  }
  if (workload.started() && read_the_ledger && !f.playbook->invariants.empty()) {
    const LedgerReading ledger = read_ledger(workload.api_url(), workload.dialect(), workload.payments(),
                                              workload.key_prefix());
    f.ledger = ledger.verdict;
    f.invariants = judge_invariants(f.playbook->invariants, ledger);
  }
  for (const auto& i : f.invariants) {
    if (i.result == Judged::fail) verdict.add(Verdict::invariant_violated, std::string("invariant ") + to_string(i.invariant) + ": " + i.detail);
    if (i.result == Judged::unknown) verdict.add(Verdict::unknown, std::string("invariant ") + to_string(i.invariant) + ": " + i.detail);
  }
  for (const auto& g : f.guards) {
    // A guard that watched and never saw anything could not have tripped.
    if (g.evaluations > 0 && g.no_data == g.evaluations) {
      verdict.add(Verdict::unknown, "guard " + g.guard->name + " saw no data in any of its " +
                                        std::to_string(g.evaluations) + " evaluations");
    }
  }
}

}  // namespace

RunResult Drill::conclude() {
  DrillFacts f;
  f.playbook = &pb_;
  f.playbook_file = cfg_.playbook_file;
  f.inventory_path = cfg_.inventory ? cfg_.inventory->path : "";
  f.report_dir = cfg_.report_dir;
  f.run_id = run_id_;
  f.started_us = started_us_;
  f.no_faults = cfg_.no_faults;
  f.forced = cfg_.force;
  f.interrupted = interrupted_;
  f.preflight = preflight_;
  if (steps_) f.steps = steps_->records();
  if (faults_) f.faults = faults_->records();
  if (guards_) f.guards = guards_->outcomes();
  {
    std::lock_guard lock(abort_mu_);
    f.abort = abort_times_;
  }
  f.planned = planned_starts(playbook::plan_timeline(pb_));
  playbook::Errors plan_errors;
  const playbook::DrillPlan plan = playbook::make_drill_plan(pb_, cfg_.inventory, plan_errors);
  if (plan_errors.empty()) f.resolved = playbook::drill_plan_json(plan);
  f.recorder = &recorder_;
  f.datacenters = workload_.datacenters();
  if (workload_.started()) f.payments = &workload_.payments();
  if (probes_) f.probes = probes_json(pb_.probes, *probes_, started_us_);
  Sources after = live_;
  after.payments = f.payments;
  add_failover(f, after, pb_.recovery);
  const bool hurry = cli::stop_count() >= 2;  // a second Ctrl-C: the revert is done, skip the rest
  judge_all(f, after, steps_.get(), workload_, !hurry, verdict_);
  f.verdict = verdict_.verdict();
  f.reason = verdict_.reason();
  f.ended_us = drill::unix_now_us();
  RunResult result{f.verdict, f.reason, build_report(f)};
  if (!hurry) {
    try {
      write_files(result.report, f);
    } catch (const std::exception& e) {
      // The verdict stands (the faults are reverted, the ledger was read);
      // the operator learns the files are missing.
      if (cfg_.progress) *cfg_.progress << "injector: error: the report was not written: " << e.what() << "\n";
    }
  }
  return result;
}

void Drill::write_files(const nlohmann::json& report, const DrillFacts& f) {
  if (cfg_.report_dir.empty()) return;
  report::write_report_files(cfg_.report_dir, report);  // report.json, junit.xml, timeline.svg, report.html
  const std::string dir = cfg_.report_dir + "/";
  drill::History history(started_us_);
  for (const auto& fault : f.faults) {
    const nlohmann::json what = {{"step", fault.step_id}, {"operation", fault.plan.operation}, {"description", fault.description}};
    if (fault.active_us) history.add_nemesis(fault.active_us, "start-fault", what);
    if (fault.revert_confirmed_us) history.add_nemesis(fault.revert_confirmed_us, "stop-fault", what);
  }
  if (probes_) {
    for (const auto& r : probes_->results()) {
      history.add_probe(r.probe, r.start_us, r.end_us, r.observed,
                        {{"detail", r.detail}, {"measured", r.value ? nlohmann::json(*r.value) : nlohmann::json()}});
    }
  }
  static const std::vector<drill::SentPayment> none;
  history.write_file(dir + "history.jsonl", f.payments ? *f.payments : none, workload_.dc_of());
}

RunResult run_drill(const RunConfig& config) {
  Drill drill(config);
  return drill.run();
}

}  // namespace injector::run
