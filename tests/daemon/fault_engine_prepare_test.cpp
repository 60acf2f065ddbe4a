// Two-phase apply: prepare readies everything but the slot, commit installs it.
#include <gtest/gtest.h>

#include "daemon/fault_engine.h"
#include "tests/daemon/engine_fixture.h"
#include "tests/daemon/fake_queues.h"
#include "tests/daemon/fake_tc.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector;
using namespace std::chrono_literals;
using injector::testing::cut_spec;
using injector::testing::FakeTc;

class PrepareTest : public injector::testing::EngineTest {};

TEST_F(PrepareTest, PrepareReadiesTheRootButMatchesNoTrafficUntilCommit) {
  auto engine = make();
  const Fault& f = engine.prepare(cut_spec());
  const std::string id = f.id;
  EXPECT_TRUE(f.prepared);
  EXPECT_EQ(tc.count("install_root"), 1) << "the slow part, done in prepare";
  EXPECT_EQ(tc.count("install_fault"), 0) << "nothing matches traffic yet";
  now += 5s;
  const Fault& c = engine.commit(id);
  EXPECT_FALSE(c.prepared);
  EXPECT_EQ(tc.count("install_fault"), 1);
  EXPECT_EQ(c.deadline, now + 10min) << "the lifetime starts at commit";
  EXPECT_THROW(engine.commit(id), ConflictError) << "committed once";
  engine.revert(id);
  EXPECT_TRUE(tc.our_roots.empty());
}

TEST_F(PrepareTest, AnUncommittedFaultIsDiscardedAfterThePrepareWindow) {
  auto engine = make();
  const std::string id = engine.prepare(cut_spec(Direction::both)).id;
  EXPECT_EQ(engine.next_deadline(), now + FaultEngine::kPrepareWindow);
  now += FaultEngine::kPrepareWindow;
  EXPECT_EQ(engine.run_due(), std::vector<std::string>{id});
  EXPECT_TRUE(tc.our_roots.empty()) << "its root is gone";
  EXPECT_TRUE(tc.ingress.empty()) << "and its ingress side";
  EXPECT_EQ(tc.count("remove_fault"), 0) << "no slot was ever made, so none is removed";
}

TEST_F(PrepareTest, ASecondPreparedFaultOnTheDeviceLeavesTheFirstsRootAlone) {
  auto engine = make();
  const std::string a = engine.apply(cut_spec()).id;
  const std::string b = engine.prepare(cut_spec()).id;
  engine.revert(b);
  EXPECT_EQ(tc.count("remove_fault"), 0) << "b had no slot to remove";
  EXPECT_FALSE(tc.our_roots.empty()) << "a still needs the root";
  engine.revert(a);
  EXPECT_TRUE(tc.our_roots.empty());
}

TEST_F(PrepareTest, APreparedFaultCannotBeUpdatedAndIsNotResumed) {
  injector::testing::TempDir dir;
  Journal journal(dir.path());
  auto engine = make(&journal);
  const std::string id = engine.prepare(cut_spec()).id;
  EXPECT_THROW(engine.update(id, cut_spec().impairments, std::nullopt), ConflictError);
  const auto saved = journal.load();
  ASSERT_TRUE(saved.has_value());
  EXPECT_TRUE((*saved)["faults"][0].value("prepared", false));
  FakeTc other;
  FaultEngine restarted(other, nullptr, {});
  EXPECT_TRUE(restarted.resume(*saved).empty()) << "never committed: not put back after a restart";
}

TEST_F(PrepareTest, AFailedCommitTakesTheFaultOutWhole) {
  auto engine = make();
  const std::string id = engine.prepare(cut_spec()).id;
  tc.fail_install_fault = true;
  EXPECT_ANY_THROW(engine.commit(id));
  EXPECT_EQ(engine.find(id), nullptr);
  EXPECT_TRUE(tc.our_roots.empty());
}

TEST_F(PrepareTest, AnArmedFaultIsCommittedAtItsTimeAndJournaledJustAfter) {
  injector::testing::TempDir dir;
  Journal journal(dir.path());
  auto engine = make(&journal);
  const std::string id = engine.prepare(cut_spec()).id;
  engine.arm(id, now + 7ms);
  EXPECT_EQ(engine.next_deadline(), now + 7ms);
  now += 6ms;
  engine.run_due();
  EXPECT_EQ(tc.count("install_fault"), 0) << "not yet";
  now += 1ms;
  engine.run_due();
  EXPECT_EQ(tc.count("install_fault"), 1) << "on time";
  EXPECT_FALSE(engine.find(id)->prepared);
  EXPECT_TRUE((*journal.load())["faults"][0].value("prepared", false)) << "the journal write waits";
  now += 20ms;
  EXPECT_EQ(engine.next_deadline(), now) << "the timer wakes for the journal";
  engine.run_due();
  EXPECT_FALSE((*journal.load())["faults"][0].value("prepared", false));
}

TEST_F(PrepareTest, ArmingForATimeAlreadyPastCommitsAtOnce) {
  auto engine = make();
  const std::string id = engine.prepare(cut_spec()).id;
  now += 1s;
  EXPECT_FALSE(engine.arm(id, now - 1ms).prepared);
  EXPECT_EQ(tc.count("install_fault"), 1);
  EXPECT_THROW(engine.arm(id, now + 1s), ConflictError);
  EXPECT_THROW(engine.arm("f-nope", now), NotFoundError);
}

}  // namespace
