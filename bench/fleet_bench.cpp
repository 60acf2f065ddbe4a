// Benchmark (issue 6): a datacenter isolated on a lab of 3 x 16 = 48 hosts,
// each with its own injectord. Two ways, alternating round by round so the
// machine's noise hits both alike:
//   two-phase  the fleet commands' way: every host prepares, then every
//              commit is released at the same moment
//   one-phase  the baseline: every host is sent its whole fault at once
// For each: from the moment the requests that switch traffic are released to
// the last host's kernel change, and the skew between the first and the last
// host's kernel change (the daemons' activation timestamps, one clock: the
// lab's hosts share this machine). The prepare phase is reported apart.
// Usage: fleet_bench [--rounds N] [--dcs D] [--hosts-per-dc H]   (root)

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/fault_json.h"
#include "injector/fleet/operations.h"
#include "support/netns.h"

namespace {

using namespace injector;
using namespace injector::fleet;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Spread {
  double to_last_ms = 0;  // release -> last kernel change
  double skew_ms = 0;     // first -> last kernel change
};

Spread spread(const std::vector<HostResult>& answers, Clock::time_point released) {
  std::vector<Clock::time_point> t;
  for (const auto& r : answers) {
    const auto at = activated_at(r);
    if (!at) throw std::runtime_error(r.host->name + ": no activation: " + r.error);
    t.push_back(*at);
  }
  const auto [first, last] = std::minmax_element(t.begin(), t.end());
  return {ms(*last - released), ms(*last - *first)};
}

// The baseline: every host gets its whole fault at once, no prepare.
Spread one_phase(const Plan& plan) {
  std::vector<HostCall> calls;
  for (const auto& f : plan.faults) calls.push_back({f.host, "POST", "/v1/faults", to_json(f.spec).dump()});
  Clock::time_point released;
  const auto answers = call_all(calls, {.together = true, .released = &released});
  return spread(answers, released);
}

struct TwoPhase {
  Spread commit;
  double prepare_ms = 0;
};

TwoPhase two_phase(const Plan& plan) {
  const ApplyReport report = apply_plan(plan);
  if (!report.ok()) throw std::runtime_error("two-phase apply failed");
  Clock::time_point first_sent = report.prepared.front().sent, last_answer = first_sent;
  for (const auto& r : report.prepared) {
    first_sent = std::min(first_sent, r.sent);
    last_answer = std::max(last_answer, r.answered);
  }
  return {spread(report.applied, report.commit_sent), ms(last_answer - first_sent)};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double worst(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

void revert(const Plan& plan) {
  for (const auto& r : revert_on(plan_hosts(plan), plan.operation)) {
    if (!r.ok()) throw std::runtime_error(r.host->name + ": revert failed: " + r.error);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 15, dcs = 3, per_dc = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::stoi(argv[i + 1]);
    if (flag == "--rounds") rounds = value;
    if (flag == "--dcs") dcs = value;
    if (flag == "--hosts-per-dc") per_dc = value;
  }
  const std::string lab = std::string(SOURCE_DIR) + "/scripts/lab";
  const std::string prefix = "fbench";
  std::string path = testing::run_checked({lab, "up", "--prefix", prefix, "--dcs", std::to_string(dcs), "--hosts-per-dc",
                                           std::to_string(per_dc)});
  path.erase(path.find_last_not_of("\n") + 1);
  path = path.substr(path.find_last_of('\n') + 1);  // the inventory's path is the last line (progress comes before)
  int rc = 0;
  try {
    const Inventory inv = load_inventory(path);
    std::vector<double> prep, two_last, two_skew, one_last, one_skew;
    for (int round = 0; round < rounds; ++round) {
      const Plan plan = plan_isolate(inv, "hz", false, {});
      const TwoPhase t = two_phase(plan);
      revert(plan);
      const Plan base = plan_isolate(inv, "hz", false, {});
      const Spread o = one_phase(base);
      revert(base);
      prep.push_back(t.prepare_ms);
      two_last.push_back(t.commit.to_last_ms);
      two_skew.push_back(t.commit.skew_ms);
      one_last.push_back(o.to_last_ms);
      one_skew.push_back(o.skew_ms);
    }
    std::printf("isolate hz on %d hosts (%d datacenters x %d), %d alternating rounds: median (worst)\n",
                dcs * per_dc, dcs, per_dc, rounds);
    std::printf("  two-phase: prepare phase           %7.2f ms (%.2f)\n", median(prep), worst(prep));
    std::printf("  two-phase: commit to all active    %7.2f ms (%.2f)   skew %6.2f ms (%.2f)\n", median(two_last),
                worst(two_last), median(two_skew), worst(two_skew));
    std::printf("  one-phase: apply to all active     %7.2f ms (%.2f)   skew %6.2f ms (%.2f)\n", median(one_last),
                worst(one_last), median(one_skew), worst(one_skew));
    std::printf("  skew, one-phase / two-phase:       %7.1fx\n", median(one_skew) / median(two_skew));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleet_bench: %s\n", e.what());
    rc = 1;
  }
  testing::run_command({lab, "down", "--prefix", prefix});
  return rc;
}
