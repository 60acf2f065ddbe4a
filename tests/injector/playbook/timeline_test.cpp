// The planned timeline's maths: offsets from the drill's start, background
// injects overlapping later steps, reverts ending faults early, parallel
// groups as one slot, wait_until and run as ranges up to their timeout.
#include "injector/playbook/timeline.h"

#include <gtest/gtest.h>

#include "tests/injector/playbook/playbook_test_util.h"

namespace {

using namespace injector::playbook;
using namespace injector::playbook::testing;
using std::chrono::seconds;

Playbook parsed(const std::string& yaml) {
  ParseResult r = parse_playbook(yaml);
  EXPECT_TRUE(r.ok()) << listed(r.errors);
  return r.playbook;
}

Offset at(int earliest_s, int latest_s) { return {seconds(earliest_s), seconds(latest_s)}; }
Offset at(int s) { return at(s, s); }

TEST(Timeline, StepsFollowEachOtherAndAParallelGroupIsOneSlot) {
  const Playbook pb = parsed(kValid);
  const Timeline tl = plan_timeline(pb);
  ASSERT_EQ(tl.steps.size(), 5u);
  EXPECT_EQ(tl.steps[0].start, at(0));  // warm: wait 1s
  EXPECT_EQ(tl.steps[1].start, at(1));  // cut: partition for 5s, in the foreground
  EXPECT_EQ(tl.steps[1].end, at(6));
  EXPECT_EQ(tl.steps[1].fault_end, at(6));
  EXPECT_EQ(tl.steps[2].start, at(6));  // expect takes no time
  EXPECT_EQ(tl.steps[2].end, at(6));
  const TimelineStep& group = tl.steps[3];
  ASSERT_EQ(group.children.size(), 2u);
  EXPECT_EQ(group.children[0].start, at(6));
  EXPECT_EQ(group.children[1].start, at(6));
  EXPECT_EQ(group.children[0].fault_end, at(8));  // slow: 2s
  EXPECT_EQ(group.children[1].end, at(7));        // wait 1s
  EXPECT_EQ(group.end, at(8)) << "the group ends with its longest child";
  EXPECT_EQ(tl.steps[4].start, at(8));
  EXPECT_EQ(tl.steps[1].fault_end, at(6)) << "reverting a fault that already ended does not move its end";
  EXPECT_EQ(tl.steps_end, at(8));
  EXPECT_EQ(tl.end, at(8));
}

constexpr const char* kBackground = R"(
version: 1
name: bg
steps:
  - wait: 1s
  - id: slow
    inject: {link: {from: hz, to: sz}, impair: {delay: 30ms}, for: 60s, background: true}
  - wait_until: {expect: {metric: probe.web, op: ">=", value: 0.9}, timeout: 30s}
  - wait: 5s
  - revert: [slow]
  - run: {http: {method: POST, url: "http://10.0.0.1/failback", timeout: 10s}}
  - id: late
    inject: {link: {from: hz, to: sh}, impair: {loss: 5%}, for: 2m, background: true}
  - wait: 1s
probes:
  - name: web
    http: {url: "http://10.0.0.1/health"}
)";

TEST(Timeline, BackgroundInjectsOverlapAndRevertsEndThemEarly) {
  const Playbook pb = parsed(kBackground);
  const Timeline tl = plan_timeline(pb);
  ASSERT_EQ(tl.steps.size(), 8u);
  EXPECT_EQ(tl.steps[1].start, at(1));
  EXPECT_EQ(tl.steps[1].end, at(1)) << "a background inject's step ends once the fault is active";
  EXPECT_EQ(tl.steps[2].end, at(1, 31)) << "wait_until: anything up to its timeout";
  EXPECT_EQ(tl.steps[3].start, at(1, 31));
  EXPECT_EQ(tl.steps[4].start, at(6, 36));
  EXPECT_EQ(tl.steps[1].fault_end, at(6, 36)) << "reverted before its 60 s were over";
  EXPECT_EQ(tl.steps[5].end, at(6, 46));  // run: up to 10 s
  EXPECT_EQ(tl.steps[6].fault_end, at(126, 166));
  EXPECT_EQ(tl.steps_end, at(7, 47));
  EXPECT_EQ(tl.end, at(126, 166)) << "the drill lasts until its last fault ends";
}

TEST(Timeline, AParallelGroupEndsWithItsLatestChildAtEachBound) {
  const Playbook pb = parsed(R"(
version: 1
name: par
probes:
  - name: web
    http: {url: "http://10.0.0.1/health"}
steps:
  - parallel:
      - wait: 20s
      - wait_until: {expect: {metric: probe.web, op: ">=", value: 0.9}, timeout: 30s}
  - wait: 1s
)");
  const Timeline tl = plan_timeline(pb);
  EXPECT_EQ(tl.steps[0].end, at(20, 30));
  EXPECT_EQ(tl.steps[1].start, at(20, 30));
  EXPECT_EQ(tl.end, at(21, 31));
}

TEST(Timeline, TextsForPeople) {
  EXPECT_EQ(offset_text(at(0)), "+0s");
  EXPECT_EQ(offset_text(at(70)), "+1m10s");
  EXPECT_EQ(offset_text(at(1, 31)), "+1s..+31s");
  const Playbook pb = parsed(kBackground);
  EXPECT_EQ(step_summary(pb.steps[1]), "inject link hz <-> sz delay=30ms for 1m (background)");
  EXPECT_EQ(step_summary(pb.steps[2]), "wait until probe.web >= 0.9 (<= 30s)");
  EXPECT_EQ(step_summary(pb.steps[4]), "revert slow");
  EXPECT_EQ(step_summary(pb.steps[5]), "run POST http://10.0.0.1/failback (<= 10s)");
  const Playbook valid = parsed(kValid);
  EXPECT_EQ(step_summary(valid.steps[1]), "inject partition isolate hz for 5s");
  EXPECT_EQ(step_summary(valid.steps[2]), "expect rto(hz) <= 3s, probe.web >= 0.99 during cut");
  EXPECT_EQ(step_kind(valid.steps[3]), "parallel");
}

}  // namespace
