#include "tests/support/temp_dir.h"
#include "daemon/fault_engine.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/field_error.h"
#include "daemon/journal.h"
#include "tests/daemon/fake_tc.h"

namespace {

using injector::Cidr;
using injector::ConflictError;
using injector::CutImpairment;
using injector::EngineConfig;
using injector::Fault;
using injector::FaultEngine;
using injector::FaultSpec;
using injector::FieldError;
using injector::Journal;
using injector::NotFoundError;
using injector::SteadyTime;
using injector::testing::FakeTc;
using namespace std::chrono_literals;

FaultSpec cut(const std::string& device = "eth0", const char* to = "10.0.0.0/8",
              std::chrono::milliseconds lifetime = 0ms) {
  FaultSpec s;
  s.device = device;
  s.match.to = {Cidr::parse(to)};
  s.impairments.cut = CutImpairment{};
  s.lifetime.duration = lifetime;
  return s;
}

using injector::testing::TempDir;

class FaultEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  FaultEngine make(Journal* journal = nullptr) {
    return FaultEngine(tc, journal, config, [this] { return now; });
  }
  std::string field_of_apply(FaultEngine& engine, const FaultSpec& spec) {
    try {
      engine.apply(spec);
    } catch (const FieldError& e) {
      return e.field();
    }
    return "(no error)";
  }

  FakeTc tc;
  EngineConfig config;  // default 10m, cap 24h
  SteadyTime now = SteadyTime{} + 1000h;
};

TEST_F(FaultEngineTest, FirstFaultOnDeviceInstallsRootOnce) {
  auto engine = make();
  const Fault& a = engine.apply(cut("eth0", "10.0.0.0/8"));
  EXPECT_EQ(a.ifindex, 2);
  EXPECT_EQ(a.slot, 1);
  EXPECT_EQ(a.filter_rules, 1u);
  EXPECT_EQ(a.id.rfind("f-", 0), 0u) << a.id;
  EXPECT_EQ(a.id.size(), 14u) << a.id;
  ASSERT_EQ(tc.calls.size(), 2u);
  EXPECT_EQ(tc.calls[0].op, "install_root");  // the root before the cut that hangs under it
  EXPECT_EQ(tc.calls[1].op, "install_fault");
  EXPECT_EQ(tc.calls[1].slot, 1);
  const std::string first = a.id;
  const Fault& b = engine.apply(cut("eth0", "192.168.0.0/16"));
  EXPECT_NE(b.id, first);
  EXPECT_EQ(b.slot, 2);
  EXPECT_EQ(tc.count("install_root"), 1u);
  EXPECT_EQ(tc.count("install_fault"), 2u);
  EXPECT_EQ(engine.list().size(), 2u);
}

TEST_F(FaultEngineTest, EachDeviceGetsItsOwnRootAndSlots) {
  auto engine = make();
  engine.apply(cut("eth0"));
  const Fault& other = engine.apply(cut("eth1"));
  EXPECT_EQ(other.ifindex, 3);
  EXPECT_EQ(other.slot, 1);
  EXPECT_EQ(tc.count("install_root"), 2u);
  EXPECT_EQ(tc.our_roots, (std::set<int>{2, 3}));
}

TEST_F(FaultEngineTest, RevertingLastFaultRemovesRoot) {
  auto engine = make();
  const std::string a = engine.apply(cut()).id;
  const std::string b = engine.apply(cut()).id;
  tc.calls.clear();
  engine.revert(a);  // not the last: only its slot goes
  ASSERT_EQ(tc.calls.size(), 1u);
  EXPECT_EQ(tc.calls[0].op, "remove_fault");
  EXPECT_EQ(tc.calls[0].slot, 1);
  EXPECT_TRUE(tc.our_roots.count(2));
  tc.calls.clear();
  engine.revert(b);  // the last: the root goes, taking everything under it
  ASSERT_EQ(tc.count("remove_root"), 1u);
  EXPECT_EQ(tc.count("remove_fault"), 0u);
  EXPECT_TRUE(tc.our_roots.empty());
  EXPECT_TRUE(engine.list().empty());
  EXPECT_EQ(engine.find(b), nullptr);
  // The next fault on the device starts from scratch.
  engine.apply(cut());
  EXPECT_EQ(tc.count("install_root"), 1u);
}

TEST_F(FaultEngineTest, SlotsReusedLowestFirst) {
  auto engine = make();
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(engine.apply(cut()).id);
  engine.revert(ids[2]);
  engine.revert(ids[1]);
  EXPECT_EQ(engine.apply(cut()).slot, 2);
  EXPECT_EQ(engine.apply(cut()).slot, 3);
  EXPECT_EQ(engine.apply(cut()).slot, 5);
}

TEST_F(FaultEngineTest, ForeignRootIsConflictAndTouchesNothing) {
  tc.foreign_roots.insert(2);
  auto engine = make();
  EXPECT_THROW(engine.apply(cut("eth0")), ConflictError);
  EXPECT_FALSE(tc.any_install());
  EXPECT_EQ(tc.count("remove_root"), 0u);
  EXPECT_TRUE(engine.list().empty());
}

TEST_F(FaultEngineTest, OurRootWeDoNotHoldIsConflict) {
  tc.our_roots.insert(2);  // another injectord, or a crash nobody cleaned up
  auto engine = make();
  EXPECT_THROW(engine.apply(cut("eth0")), ConflictError);
  EXPECT_FALSE(tc.any_install());
  EXPECT_EQ(tc.count("remove_root"), 0u);
}

TEST_F(FaultEngineTest, UnknownDeviceIsFieldErrorAndTouchesNothing) {
  auto engine = make();
  EXPECT_EQ(field_of_apply(engine, cut("nope0")), "device");
  EXPECT_TRUE(tc.calls.empty());
  EXPECT_TRUE(engine.list().empty());
}

TEST_F(FaultEngineTest, InvalidSpecIsFieldErrorAndTouchesNothing) {
  auto engine = make();
  FaultSpec s = cut();
  s.match.to.clear();
  EXPECT_EQ(field_of_apply(engine, s), "match.to");
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.match.from = {Cidr::parse("fd00::/64")};
  EXPECT_EQ(field_of_apply(engine, s), "match");
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(FaultEngineTest, LifetimeZeroMeansDefault) {
  auto engine = make();
  const Fault& f = engine.apply(cut("eth0", "10.0.0.0/8", 0ms));
  EXPECT_EQ(f.spec.lifetime.duration, config.default_lifetime);
  EXPECT_EQ(f.deadline, now + config.default_lifetime);
  EXPECT_EQ(f.expires_at - f.created_at, config.default_lifetime);
}

TEST_F(FaultEngineTest, LifetimeOverCapRejected) {
  auto engine = make();
  EXPECT_EQ(field_of_apply(engine, cut("eth0", "10.0.0.0/8", config.max_lifetime + 1ms)), "lifetime.duration_ms");
  EXPECT_TRUE(tc.calls.empty());
  const Fault& f = engine.apply(cut("eth0", "10.0.0.0/8", config.max_lifetime));  // the cap itself is fine
  EXPECT_EQ(f.spec.lifetime.duration, config.max_lifetime);
}

TEST_F(FaultEngineTest, ExpireDueRevertsOnlyFaultsPastDeadline) {
  auto engine = make();
  EXPECT_FALSE(engine.next_deadline().has_value());
  const std::string short_id = engine.apply(cut("eth0", "10.0.0.0/8", 1s)).id;
  const std::string long_id = engine.apply(cut("eth0", "10.1.0.0/16", 5s)).id;
  const std::string other_id = engine.apply(cut("eth1", "10.2.0.0/16", 2s)).id;
  EXPECT_EQ(engine.next_deadline(), now + 1s);
  now += 999ms;
  EXPECT_TRUE(engine.run_due().empty());
  now += 1ms;  // exactly at the deadline
  EXPECT_EQ(engine.run_due(), std::vector<std::string>{short_id});
  EXPECT_EQ(engine.find(short_id), nullptr);
  ASSERT_NE(engine.find(long_id), nullptr);
  EXPECT_EQ(tc.cuts.count({2, 1}), 0u);
  EXPECT_EQ(tc.cuts.count({2, 2}), 1u);
  EXPECT_EQ(engine.next_deadline(), now - 1s + 2s);
  now += 10s;
  auto due = engine.run_due();
  std::sort(due.begin(), due.end());
  std::vector<std::string> want{long_id, other_id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(due, want);
  EXPECT_TRUE(engine.list().empty());
  EXPECT_TRUE(tc.our_roots.empty());
  EXPECT_FALSE(engine.next_deadline().has_value());
}

TEST_F(FaultEngineTest, InstallCutFailureUndoesEverything) {
  tc.fail_install_fault = true;
  auto engine = make();
  EXPECT_THROW(engine.apply(cut()), std::runtime_error);
  EXPECT_EQ(tc.count("remove_root"), 1u);
  EXPECT_TRUE(tc.our_roots.empty());
  EXPECT_TRUE(engine.list().empty());
  EXPECT_FALSE(engine.next_deadline().has_value());
  // Nothing is left half-held: the next apply installs a root again.
  tc.fail_install_fault = false;
  tc.calls.clear();
  EXPECT_EQ(engine.apply(cut()).slot, 1);
  EXPECT_EQ(tc.count("install_root"), 1u);
}

TEST_F(FaultEngineTest, InstallCutFailureOnBusyDeviceKeepsRoot) {
  auto engine = make();
  const std::string first = engine.apply(cut()).id;
  tc.fail_install_fault = true;
  EXPECT_THROW(engine.apply(cut()), std::runtime_error);
  EXPECT_EQ(tc.count("remove_root"), 0u);
  EXPECT_EQ(engine.list().size(), 1u);
  tc.fail_install_fault = false;
  engine.revert(first);  // still the last fault: the root goes
  EXPECT_EQ(tc.count("remove_root"), 1u);
}

TEST_F(FaultEngineTest, InstallRootFailurePropagates) {
  tc.fail_install_root = true;
  auto engine = make();
  EXPECT_THROW(engine.apply(cut()), std::runtime_error);
  EXPECT_EQ(tc.count("install_fault"), 0u);
  EXPECT_TRUE(engine.list().empty());
}

TEST_F(FaultEngineTest, RevertUnknownIdIsNotFound) {
  auto engine = make();
  engine.apply(cut());
  EXPECT_THROW(engine.revert("f-000000000000"), NotFoundError);
  EXPECT_EQ(engine.list().size(), 1u);
  EXPECT_EQ(tc.count("remove_fault") + tc.count("remove_root"), 0u);
}

TEST_F(FaultEngineTest, RevertAllGoesOnPastAFailureThenReportsIt) {
  auto engine = make();
  const std::string a = engine.apply(cut("eth0")).id;
  const std::string b = engine.apply(cut("eth1")).id;
  // Make the fault that revert_all reaches first (ids in order) the one that fails.
  const bool a_first = a < b;
  tc.fail_remove_root.insert(tc.devices.at(a_first ? "eth0" : "eth1"));
  EXPECT_THROW(engine.revert_all(), std::runtime_error);
  EXPECT_EQ(engine.find(a_first ? b : a), nullptr) << "the later fault is reverted although the first failed";
  EXPECT_FALSE(tc.our_roots.count(tc.devices.at(a_first ? "eth1" : "eth0")));
  EXPECT_EQ(engine.list().size(), 1u) << "the failed one stays, so a retry can remove it";
}

TEST_F(FaultEngineTest, RevertAll) {
  auto engine = make();
  EXPECT_TRUE(engine.revert_all().empty());
  std::set<std::string> ids;
  ids.insert(engine.apply(cut("eth0")).id);
  ids.insert(engine.apply(cut("eth0", "10.1.0.0/16")).id);
  ids.insert(engine.apply(cut("eth1")).id);
  const auto reverted = engine.revert_all();
  EXPECT_EQ(std::set<std::string>(reverted.begin(), reverted.end()), ids);
  EXPECT_EQ(reverted.size(), 3u);
  EXPECT_TRUE(engine.list().empty());
  EXPECT_TRUE(tc.our_roots.empty());
  EXPECT_TRUE(tc.cuts.empty());
  EXPECT_EQ(tc.count("remove_root"), 2u);
}

TEST_F(FaultEngineTest, JournalFollowsFaults) {
  TempDir dir;
  Journal journal(dir.path() + "/state");
  auto engine = make(&journal);
  bool listed_before_kernel = false;
  std::string id;
  tc.on_install_fault = [&] {
    // Intent first: by the time the kernel is touched, the journal explains it.
    const auto j = journal.load();
    listed_before_kernel = j && (*j)["faults"].size() == 1;
  };
  id = engine.apply(cut()).id;
  EXPECT_TRUE(listed_before_kernel);
  auto j = journal.load();
  ASSERT_TRUE(j.has_value());
  ASSERT_EQ((*j)["faults"].size(), 1u);
  EXPECT_EQ((*j)["faults"][0]["id"], id);
  EXPECT_EQ((*j)["faults"][0]["slot"], 1);
  EXPECT_EQ((*j)["faults"][0]["spec"]["device"], "eth0");
  EXPECT_EQ((*j)["devices"][0]["ifindex"], 2);
  engine.revert(id);
  j = journal.load();
  ASSERT_TRUE(j.has_value());
  EXPECT_TRUE((*j)["faults"].empty());
  EXPECT_TRUE((*j)["devices"].empty());
}

TEST_F(FaultEngineTest, JournalForgetsFailedApply) {
  TempDir dir;
  Journal journal(dir.path());
  auto engine = make(&journal);
  tc.fail_install_fault = true;
  EXPECT_THROW(engine.apply(cut()), std::runtime_error);
  const auto j = journal.load();
  ASSERT_TRUE(j.has_value());
  EXPECT_TRUE((*j)["faults"].empty());
}

TEST_F(FaultEngineTest, CleanupLeftoversRemovesOurRoots) {
  TempDir dir;
  Journal journal(dir.path());
  tc.leftover_roots = {3, 7};
  auto engine = make(&journal);
  EXPECT_EQ(engine.cleanup_leftovers(), (std::vector<int>{3, 7}));
  ASSERT_EQ(tc.calls.size(), 2u);
  EXPECT_EQ(tc.calls[0].op, "remove_root");
  EXPECT_EQ(tc.calls[0].ifindex, 3);
  EXPECT_EQ(tc.calls[1].op, "remove_root");
  EXPECT_EQ(tc.calls[1].ifindex, 7);
  const auto j = journal.load();
  ASSERT_TRUE(j.has_value());
  EXPECT_TRUE((*j)["faults"].empty());
}

TEST_F(FaultEngineTest, CleanupWithNothingLeftTouchesNothing) {
  auto engine = make();
  EXPECT_TRUE(engine.cleanup_leftovers().empty());
  EXPECT_TRUE(tc.calls.empty());
}

}  // namespace
