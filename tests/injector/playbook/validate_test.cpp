// The checks across a playbook's parts (validate.h), each at its exact path.
#include "injector/playbook/validate.h"

#include <gtest/gtest.h>

#include "injector/fleet/inventory.h"
#include "tests/injector/playbook/playbook_test_util.h"

namespace {

using namespace injector::playbook;
using namespace injector::playbook::testing;

TEST(PlaybookValidate, DuplicateIdsAndNames) {
  const auto errors = all_errors(with("      - id: slow\n", "      - id: warm\n"));
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "steps[3].parallel[0].id").message(), "'warm' is also the id of steps[0]");
  const auto probes = all_errors(with("probes:\n", "probes:\n  - {name: web, command: {argv: [true]}}\n"));
  only_error_at(probes, "probes[1].name");
  const auto guards = all_errors(with("guards:\n", "guards:\n  - {name: g, expect: {metric: ok_per_s, op: \">\", value: 1}}\n"));
  only_error_at(guards, "guards[1].name");
}

TEST(PlaybookValidate, RevertNamesAnEarlierInject) {
  const auto unknown = all_errors(with("revert: [cut]", "revert: [cut, nope]"));
  ASSERT_EQ(unknown.size(), 1u) << listed(unknown);
  const auto e = only_error_at(unknown, "steps[4].revert[1]");
  EXPECT_EQ(e.message(), "no step has the id 'nope'");
  EXPECT_EQ(e.allowed(), "earlier inject steps: cut, slow");
  const auto not_inject = all_errors(with("revert: [cut]", "revert: [warm]"));
  EXPECT_EQ(only_error_at(not_inject, "steps[4].revert[0]").message(), "'warm' is not an inject step");
  // A revert before its inject, and one beside it in the same parallel group.
  const auto later = all_errors(with("    wait: 1s\n", "    revert: [slow]\n"));
  EXPECT_EQ(only_error_at(later, "steps[0].revert[0]").message(), "'slow' is not earlier: it runs later or alongside");
  const auto sibling = all_errors(with("      - wait: 1s\n", "      - revert: [slow]\n"));
  only_error_at(sibling, "steps[3].parallel[1].revert[0]");
}

TEST(PlaybookValidate, DuringNamesAnEarlierStep) {
  const auto errors = all_errors(with("during: cut", "during: both"));
  EXPECT_EQ(only_error_at(errors, "steps[2].during").message(), "'both' is not earlier: it runs later or alongside");
  EXPECT_TRUE(all_errors(with("during: cut", "during: warm")).empty());
  const auto misplaced = all_errors(with("    wait: 1s\n", "    wait: 1s\n    during: cut\n"));
  EXPECT_EQ(only_error_at(misplaced, "steps[0].during").message(), "applies only to an expect step");
}

TEST(PlaybookValidate, ProbeMetricsNeedTheProbe) {
  const auto errors = all_errors(with("metric: probe.web", "metric: probe.wbe"));
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  const auto e = only_error_at(errors, "steps[2].expect[1].metric");
  EXPECT_EQ(e.message(), "no probe named 'wbe'");
  EXPECT_EQ(e.allowed(), "probe.web");
}

TEST(PlaybookValidate, PaymentMetricsNeedTheWorkload) {
  const auto errors = all_errors(with("workload:\n  payments: {rate: 10}\n", ""));
  EXPECT_EQ(errors.size(), 2u) << listed(errors);  // the guard's and the rto; probe.web needs no workload
  only_error_at(errors, "guards[0].expect.metric");
  only_error_at(errors, "steps[2].expect[0].metric");
  const auto invariants = all_errors(with("workload:\n  payments: {rate: 10}\n", "invariants: [conserved]\n"));
  only_error_at(invariants, "invariants");
}

TEST(PlaybookValidate, StepsMustFitMaxDuration) {
  // The minimum is 1s + 5s (cut) + 2s (parallel: its longest child) = 8s.
  EXPECT_EQ(minimum_duration(parse_playbook(kValid).playbook.steps), std::chrono::seconds(8));
  EXPECT_TRUE(all_errors(with("vars:", "safety: {max_duration: 8s}\nvars:")).empty());
  const auto errors = all_errors(with("vars:", "safety: {max_duration: 7s}\nvars:"));
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "steps").message(), "the steps take at least 8s, more than safety.max_duration (7s)");
}

TEST(PlaybookValidate, ABackgroundFaultMustEndWithinMaxDuration) {
  std::string yaml = with("      for: ${hold}\n", "      for: 1m\n      background: true\n");
  yaml = with("vars:", "safety: {max_duration: 1m}\nvars:", yaml);
  // In the background the cut takes no step time, but it starts at 1s and ends at 1m1s.
  const auto errors = all_errors(yaml);
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  only_error_at(errors, "steps[1].inject.for");
  EXPECT_TRUE(all_errors(with("for: 1m", "for: 59s", yaml)).empty());
}

constexpr const char* kInventory = R"(
version: 1
datacenters:
  - {name: hz, cidrs: [10.77.1.0/24]}
  - {name: sz, cidrs: [10.77.3.0/24]}
hosts:
  - {name: hz-1, datacenter: hz, daemon: "unix:/run/x/hz-1.sock", device: eth0, addresses: [10.77.1.11]}
)";

TEST(PlaybookValidate, NamesAreCheckedAgainstAnInventory) {
  const auto inv = injector::fleet::parse_inventory(kInventory);
  // The base names only hz and sz; its workload has no api and this inventory no services.
  const auto base = all_errors(kValid, {}, &inv);
  ASSERT_EQ(base.size(), 1u) << listed(base);
  only_error_at(base, "workload.payments.api");
  const std::string with_api = with("{rate: 10}", "{rate: 10, api: \"http://10.77.4.11:8080\"}");
  EXPECT_TRUE(all_errors(with_api, {}, &inv).empty());
  std::string yaml = with("{isolate: hz}", "{isolate: hx}", with_api);
  yaml = with("to: sz}", "to: sh}", yaml);
  yaml = with("dc: hz", "dc: users", yaml);
  yaml = with("    wait: 1s\n", "    inject: {host: {host: hz-2, to: [10.77.3.0/24]}, impair: {loss: 1%}, for: 1s}\n", yaml);
  const auto errors = all_errors(yaml, {}, &inv);
  EXPECT_EQ(errors.size(), 4u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "steps[1].inject.partition.isolate").allowed(), "hz, sz");
  only_error_at(errors, "steps[3].parallel[0].inject.link.to");
  only_error_at(errors, "steps[2].expect[0].dc");
  EXPECT_EQ(only_error_at(errors, "steps[0].inject.host.host").allowed(), "hz-1");
  // Without an inventory, names are not checked.
  EXPECT_TRUE(all_errors(yaml).empty()) << listed(all_errors(yaml));
}

}  // namespace

namespace {

// rto and longest_gap need every payment's whole story: after the run only.
TEST(PlaybookValidate, GuardsAndWaitUntilCannotUseAfterTheRunMetrics) {
  const auto guard = all_errors(with("guards:\n", "guards:\n  - {name: g2, expect: {metric: longest_gap, op: \"<=\", value: 2s}}\n"));
  ASSERT_EQ(guard.size(), 1u) << listed(guard);
  EXPECT_EQ(only_error_at(guard, "guards[0].expect.metric").message(),
            "longest_gap is measured after the run, so a guard or a wait_until cannot use it");
  const auto fine = all_errors(with("guards:\n", "guards:\n  - {name: g2, expect: {metric: success_rate, op: \">=\", value: 0.5}}\n"));
  EXPECT_TRUE(fine.empty()) << listed(fine);
}

}  // namespace
