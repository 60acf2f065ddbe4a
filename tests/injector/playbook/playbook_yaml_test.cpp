// The parser's error classes, each at its exact path, on a valid playbook
// broken in one place (playbook_test_util.h).
#include "injector/playbook/playbook_yaml.h"

#include <gtest/gtest.h>

#include "tests/injector/playbook/playbook_test_util.h"

namespace {

using namespace injector::playbook;
using namespace injector::playbook::testing;
using std::chrono::milliseconds;

TEST(PlaybookYaml, TheBaseIsValidAndFullyTyped) {
  const auto r = parse_playbook(kValid);
  ASSERT_TRUE(r.ok()) << listed(r.errors);
  EXPECT_TRUE(validate_playbook(r.playbook, nullptr).empty());
  const Playbook& pb = r.playbook;
  EXPECT_EQ(pb.name, "t");
  ASSERT_EQ(pb.steps.size(), 5u);
  const auto& cut = std::get<InjectStep>(pb.steps[1].action);
  EXPECT_EQ(std::get<PartitionTarget>(cut.target).isolate, "hz");
  EXPECT_EQ(cut.duration, milliseconds(5000));
  EXPECT_TRUE(cut.impairments.cut.has_value());
  const auto& expect = std::get<ExpectAction>(pb.steps[2].action);
  EXPECT_EQ(expect.during, "cut");
  EXPECT_DOUBLE_EQ(expect.expectations[0].value, 3.0);   // seconds
  EXPECT_DOUBLE_EQ(expect.expectations[1].value, 0.99);  // a fraction
  EXPECT_EQ(expect.expectations[1].probe, "web");
  const auto& slow = std::get<InjectStep>(std::get<ParallelAction>(pb.steps[3].action).children[0].action);
  ASSERT_TRUE(slow.impairments.delay.has_value());
  EXPECT_EQ(slow.impairments.delay->time, std::chrono::microseconds(30000));
  EXPECT_EQ(pb.steps[3].action.index(), 6u);  // parallel
  EXPECT_EQ(pb.guards[0].expect.window, milliseconds(2000));  // guards' default window
  EXPECT_EQ(pb.invariants.size(), 6u);  // all, with a payment workload
  EXPECT_EQ(pb.safety.max_duration, std::chrono::minutes(15));
}

TEST(PlaybookYaml, UnknownKeysAreNamedWithWhatIsAllowed) {
  const auto errors = all_errors(with("partition: {isolate: hz}", "partition: {isolate: hz, zone: a}") + "colour: red\n");
  EXPECT_EQ(errors.size(), 2u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "colour").message(), "unknown key");
  const auto e = only_error_at(errors, "steps[1].inject.partition.zone");
  EXPECT_EQ(e.allowed(), "isolate, groups, one_way");
}

TEST(PlaybookYaml, AKeyWrittenTwiceIsAnError) {
  const auto errors = all_errors(with("  - id: warm\n", "  - id: warm\n    id: again\n"));
  EXPECT_EQ(only_error_at(errors, "steps[0].id").message(), "appears twice");
}

TEST(PlaybookYaml, WrongTypesNameTheField) {
  const auto errors = all_errors(with("payments: {rate: 10}", "payments: {rate: ten}"));
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "workload.payments.rate").message(), "'ten' is not a whole number");
  const auto list = all_errors(with("partition: {isolate: hz}", "partition: {isolate: [hz, sh]}"));
  EXPECT_EQ(only_error_at(list, "steps[1].inject.partition.isolate").message(), "expected a single value, found a list");
  const auto flag = all_errors(with("{isolate: hz}", "{isolate: hz, one_way: maybe}"));
  EXPECT_EQ(only_error_at(flag, "steps[1].inject.partition.one_way").allowed(), "true or false");
  const auto map = all_errors(with("http: {url: \"http://10.0.0.1:8080/health\"}", "http: http://x"));
  EXPECT_EQ(only_error_at(map, "probes[0].http").message(), "expected a mapping, found a single value");
}

TEST(PlaybookYaml, MissingRequiredKeys) {
  const auto errors = all_errors(with("version: 1\n", "") );
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "version").message(), "is required");
  const auto url = all_errors(with("http: {url: \"http://10.0.0.1:8080/health\"}", "http: {method: GET}"));
  EXPECT_EQ(only_error_at(url, "probes[0].http.url").message(), "is required");
  const auto steps = all_errors("version: 1\nname: x\n");
  EXPECT_EQ(only_error_at(steps, "steps").message(), "is required");
}

TEST(PlaybookYaml, ExactlyOneActionPerStepAndOneTargetPerInject) {
  const auto two = all_errors(with("    wait: 1s\n", "    wait: 1s\n    revert: [x]\n"));
  ASSERT_EQ(two.size(), 1u) << listed(two);
  EXPECT_EQ(only_error_at(two, "steps[0]").message(), "has both wait and revert; exactly one is allowed");
  const auto none = all_errors(with("    wait: 1s\n", ""));
  EXPECT_EQ(only_error_at(none, "steps[0]").allowed(), "wait, wait_until, expect, inject, revert, run, parallel");
  const auto both = all_errors(with("{isolate: hz}", "{isolate: hz, groups: [[hz], [sh]]}"));
  EXPECT_NE(only_error_at(both, "steps[1].inject.partition").message().find("exactly one"), std::string::npos);
  const auto cmp = all_errors(with("op: \">=\", value: 0.5}", "op: \">=\", value: 0.5, between: [0, 1]}"));
  EXPECT_NE(only_error_at(cmp, "guards[0].expect").message().find("both op/value and between"), std::string::npos);
}

TEST(PlaybookYaml, BadDurations) {
  const auto errors = all_errors(with("    wait: 1s\n", "    wait: 1 s\n"));
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "steps[0].wait").message(), "'1 s' is not a duration");
  const auto bare = all_errors(with("    wait: 1s\n", "    wait: 10\n"));
  EXPECT_EQ(only_error_at(bare, "steps[0].wait").message(), "'10' is not a duration");
  // "0s" only where the format allows it: a zero `for` is refused, a zero `after` is not.
  const auto zero = all_errors(with("for: ${hold}", "for: 0s"));
  EXPECT_EQ(only_error_at(zero, "steps[1].inject.for").message(), "'0s' is not a duration");
  EXPECT_TRUE(all_errors(with("value: 0.5}", "value: 0.5, after: 0s}")).empty());
}

TEST(PlaybookYaml, MetricValuesTakeTheirUnits) {
  const auto guard_value = [](const std::string& expect) {
    const auto r = parse_playbook(with("{metric: success_rate, op: \">=\", value: 0.5}", expect));
    EXPECT_TRUE(r.ok()) << listed(r.errors);
    return r.playbook.guards.at(0).expect;
  };
  EXPECT_DOUBLE_EQ(guard_value("{metric: latency_p99, op: \"<\", value: 50ms}").value, 0.05);  // seconds
  EXPECT_DOUBLE_EQ(guard_value("{metric: rto, op: \"<\", value: 2}").value, 2.0);
  EXPECT_DOUBLE_EQ(guard_value("{metric: success_rate, op: \">\", value: 99.5%}").value, 0.995);
  const auto between = guard_value("{metric: ok_per_s, between: [90, 110], window: 5s, for: 3, after: 1s}");
  EXPECT_EQ(between.between, std::pair(90.0, 110.0));
  EXPECT_EQ(between.for_count, 3);
  EXPECT_EQ(between.window, milliseconds(5000));
  // A fraction above 1, a duration for a count, and a range upside down.
  const auto errors = all_errors(with("value: 0.5}", "value: 1.5}"));
  EXPECT_EQ(only_error_at(errors, "guards[0].expect.value").message(), "'1.5' is not a fraction");
  const auto count = all_errors(with("{metric: success_rate, op: \">=\", value: 0.5}", "{metric: unknown_count, op: \"<\", value: 5s}"));
  only_error_at(count, "guards[0].expect.value");
  const auto upside = all_errors(with("{metric: success_rate, op: \">=\", value: 0.5}", "{metric: ok_per_s, between: [9, 1]}"));
  EXPECT_EQ(only_error_at(upside, "guards[0].expect.between").message(), "LOW is above HIGH");
}

TEST(PlaybookYaml, InjectNeedsAFiniteFor) {
  const auto errors = all_errors(with("      for: ${hold}\n", ""));
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "steps[1].inject.for").message(), "is required");
  const auto forever = all_errors(with("for: ${hold}", "for: 2y"));
  EXPECT_EQ(only_error_at(forever, "steps[1].inject.for").message(), "'2y' is not a duration");
}

TEST(PlaybookYaml, WaitUntilNeedsATimeout) {
  const auto yaml = with("    wait: 1s\n", "    wait_until:\n      expect: {metric: ok_per_s, op: \">\", value: 5}\n");
  const auto errors = all_errors(yaml);
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "steps[0].wait_until.timeout").message(), "is required");
  EXPECT_TRUE(all_errors(with("{metric: ok_per_s, op: \">\", value: 5}", "{metric: ok_per_s, op: \">\", value: 5}\n      timeout: 30s", yaml)).empty());
}

TEST(PlaybookYaml, ImpairUsesTheCliVocabulary) {
  const auto path = "steps[3].parallel[0].inject.impair";
  const auto unknown = all_errors(with("impair: {delay: 30ms}", "impair: {delai: 30ms}"));
  const auto e = only_error_at(unknown, std::string(path) + ".delai");
  EXPECT_EQ(e.message(), "unknown impairment");
  EXPECT_NE(e.allowed().find("flap-jitter"), std::string::npos) << e.allowed();
  const auto unit = all_errors(with("impair: {delay: 30ms}", "impair: {delay: 30parsecs}"));
  EXPECT_EQ(unit.size(), 1u) << listed(unit);
  only_error_at(unit, std::string(path) + ".delay");
  // The daemon's rule, through validate(Impairments): reordering needs a delay.
  const auto reorder = all_errors(with("impair: {delay: 30ms}", "impair: {reorder: 5%}"));
  only_error_at(reorder, std::string(path) + ".reorder");
  const auto cut = all_errors(with("partition: {isolate: hz}", "partition: {isolate: hz}\n      impair: {loss: 5%}"));
  only_error_at(cut, "steps[1].inject.impair");
  const auto none = all_errors(with(" impair: {delay: 30ms},", ""));
  EXPECT_EQ(only_error_at(none, std::string(path)).message(), "is required with link");
  const auto all = parse_playbook(with("impair: {delay: 30ms}", "impair: {loss: 5%, rate: 10mbit, period: 2s, down: 30%}"));
  ASSERT_TRUE(all.ok()) << listed(all.errors);
  const auto& imp = std::get<InjectStep>(std::get<ParallelAction>(all.playbook.steps[3].action).children[0].action).impairments;
  EXPECT_DOUBLE_EQ(imp.loss->percent, 5);
  EXPECT_EQ(imp.bandwidth->rate_bps, 10'000'000u);
  EXPECT_DOUBLE_EQ(imp.flap->down_pct, 30);
}

TEST(PlaybookYaml, EveryErrorIsCollected) {
  std::string yaml = with("version: 1", "version: 2");
  yaml = with("    wait: 1s\n", "    wait: soon\n", yaml);
  yaml = with("{isolate: hz}", "{isolate: hz, extra: 1}", yaml);
  yaml = with("op: \">=\", value: 0.5", "op: \"=>\", value: 0.5", yaml);
  const auto errors = all_errors(yaml);
  EXPECT_EQ(errors.size(), 4u) << listed(errors);
  for (const char* path : {"version", "steps[0].wait", "steps[1].inject.partition.extra", "guards[0].expect.op"}) {
    only_error_at(errors, path);
  }
}

TEST(PlaybookYaml, NotYamlIsOneError) {
  const auto errors = all_errors("steps: [unclosed\n");
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(errors[0].field(), "playbook");
}

TEST(PlaybookYaml, OnePlaybookPerFile) {
  const auto errors = all_errors(std::string(kValid) + "---\nversion: 1\n");
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  EXPECT_EQ(only_error_at(errors, "playbook").message(), "2 YAML documents");
  const auto empty = all_errors("");  // no document: every required key is missing
  EXPECT_EQ(empty.size(), 3u) << listed(empty);
  only_error_at(empty, "name");
}

}  // namespace
