#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/field_error.h"
#include "daemon/fault_engine.h"
#include "daemon/tc/handles.h"
#include "daemon/tc/slot_plan.h"
#include "tests/daemon/fake_tc.h"

namespace {

using injector::Cidr;
using injector::ConflictError;
using injector::DelayImpairment;
using injector::Direction;
using injector::EngineConfig;
using injector::Fault;
using injector::FaultEngine;
using injector::FaultSpec;
using injector::FieldError;
using injector::FlapImpairment;
using injector::Impairments;
using injector::NotFoundError;
using injector::SteadyTime;
using injector::testing::FakeTc;
using injector::tc::LeafKind;
using injector::tc::plan_slot;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

Impairments delay(milliseconds time) {
  Impairments imp;
  imp.delay = DelayImpairment{time, 0us, 0, injector::Distribution::none};
  return imp;
}

Impairments duplicate(double pct) {
  Impairments imp;
  imp.duplicate = injector::ChanceImpairment{pct, 0};
  return imp;
}

Impairments flap(milliseconds period, double down, milliseconds jitter = 0ms, Impairments imp = {}) {
  imp.flap = FlapImpairment{period, down, jitter};
  return imp;
}

FaultSpec spec(Impairments imp, const std::string& device = "eth0", milliseconds lifetime = 0ms,
               Direction direction = Direction::egress) {
  FaultSpec s;
  s.device = device;
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.direction = direction;
  s.impairments = std::move(imp);
  s.lifetime.duration = lifetime;
  return s;
}

class FaultEngineUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  std::string apply(Impairments imp, const std::string& device = "eth0", milliseconds lifetime = 0ms) {
    return engine.apply(spec(std::move(imp), device, lifetime)).id;
  }
  // The next deadline in ms after `start` (-1: none), so failures print numbers.
  long long next_in_ms(SteadyTime start) const {
    const auto next = engine.next_deadline();
    return next ? std::chrono::duration_cast<milliseconds>(*next - start).count() : -1;
  }
  LeafKind leaf_in_fake(int ifindex = 2, int slot = 1) { return tc.plans.at({ifindex, slot}).leaf; }
  // Advances the clock to the next deadline and runs what is due.
  std::vector<std::string> step() {
    const auto next = engine.next_deadline();
    EXPECT_TRUE(next.has_value());
    if (next) now = *next;
    return engine.run_due();
  }

  FakeTc tc;
  EngineConfig config;  // default 10m, cap 24h
  SteadyTime now = SteadyTime{} + 1000h;
  FaultEngine engine{tc, nullptr, config, [this] { return now; }};  // after what it uses
};

TEST_F(FaultEngineUpdateTest, UpdateChangesThePlanInPlace) {
  const std::string id = apply(delay(30ms), "eth0", 5min);
  const SteadyTime deadline = engine.find(id)->deadline;
  tc.calls.clear();
  Impairments next = delay(200ms);
  next.loss = injector::LossImpairment{1, 0, std::nullopt};
  now += 1min;
  const Fault& f = engine.update(id, next, std::nullopt);
  EXPECT_EQ(f.id, id);
  EXPECT_EQ(f.slot, 1);
  EXPECT_EQ(f.spec.impairments, next);
  EXPECT_EQ(f.spec.device, "eth0");
  EXPECT_EQ(f.plan, plan_slot(next));
  EXPECT_EQ(f.leaf, injector::tc::slot_leaf_handle(1));  // netem changed in place: same leaf
  EXPECT_EQ(f.deadline, deadline);  // lifetime not given: not restarted
  EXPECT_EQ(f.spec.lifetime.duration, 5min);
  ASSERT_EQ(tc.calls.size(), 1u);
  EXPECT_EQ(tc.calls[0].op, "change_fault");
  EXPECT_EQ(tc.calls[0].ifindex, 2);
  EXPECT_EQ(tc.calls[0].slot, 1);
  EXPECT_EQ(tc.plans.at({2, 1}), plan_slot(next));
  EXPECT_EQ(engine.list().size(), 1u);
}

TEST_F(FaultEngineUpdateTest, LifetimeRestartsOnlyWhenGiven) {
  const std::string id = apply(delay(30ms), "eth0", 5min);
  now += 4min;
  engine.update(id, delay(40ms), 10min);
  EXPECT_EQ(engine.find(id)->deadline, now + 10min);
  EXPECT_EQ(engine.find(id)->spec.lifetime.duration, 10min);
  now += 1min;
  engine.update(id, delay(50ms), std::nullopt);
  EXPECT_EQ(engine.find(id)->deadline, now + 9min);
  engine.update(id, delay(60ms), 0ms);  // zero: the daemon's default
  EXPECT_EQ(engine.find(id)->deadline, now + config.default_lifetime);
}

TEST_F(FaultEngineUpdateTest, LifetimeOverTheCapChangesNothing) {
  const std::string id = apply(delay(30ms));
  const SteadyTime deadline = engine.find(id)->deadline;
  tc.calls.clear();
  try {
    engine.update(id, delay(40ms), config.max_lifetime + 1ms);
    FAIL() << "lifetime over the cap accepted";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "lifetime.duration_ms");
  }
  EXPECT_EQ(tc.count("change_fault"), 0u);
  EXPECT_EQ(engine.find(id)->spec.impairments, delay(30ms));
  EXPECT_EQ(engine.find(id)->deadline, deadline);
}

TEST_F(FaultEngineUpdateTest, UnknownIdIsNotFound) {
  apply(delay(30ms));
  tc.calls.clear();
  EXPECT_THROW(engine.update("f-000000000000", delay(40ms), std::nullopt), NotFoundError);
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(FaultEngineUpdateTest, InvalidCombinationIsFieldErrorAndNoChange) {
  const std::string id = apply(delay(30ms));
  tc.calls.clear();
  Impairments reorder_only;
  reorder_only.reorder = injector::ReorderImpairment{25, 0, 0};
  Impairments cut_and_delay = delay(30ms);
  cut_and_delay.cut = injector::CutImpairment{};
  const std::pair<Impairments, const char*> cases[] = {
      {reorder_only, "impairments.reorder"}, {cut_and_delay, "impairments.cut"}, {Impairments{}, "impairments"},
      {flap(50ms, 50), "impairments.flap.period_ms"}};
  for (const auto& [imp, field] : cases) {
    try {
      engine.update(id, imp, std::nullopt);
      ADD_FAILURE() << field << ": accepted";
    } catch (const FieldError& e) {
      EXPECT_EQ(e.field(), field);
    }
  }
  EXPECT_EQ(tc.count("change_fault"), 0u);
  EXPECT_EQ(engine.find(id)->spec.impairments, delay(30ms));
  EXPECT_EQ(tc.plans.at({2, 1}), plan_slot(delay(30ms)));
}

TEST_F(FaultEngineUpdateTest, AnotherLeafKindIsGraftedAndItsCountsKept) {
  const std::string id = apply(delay(30ms));
  Impairments rate;
  rate.bandwidth = injector::BandwidthImpairment{10'000'000, 0};
  const Fault& f = engine.update(id, rate, std::nullopt);
  EXPECT_EQ(f.plan.leaf, LeafKind::fifo);
  EXPECT_EQ(f.leaf, injector::tc::other_leaf_handle(injector::tc::slot_leaf_handle(1)));
  EXPECT_EQ(leaf_in_fake(), LeafKind::fifo);
  // The fake counts ifindex*1000+slot per leaf: the replaced leaf's count is retired, not lost.
  EXPECT_EQ(engine.counters(f).packets_dropped, 2u * 2001u);
}

TEST_F(FaultEngineUpdateTest, BothSidesChangeTogether) {
  const std::string id = engine.apply(spec(delay(30ms), "eth0", 0ms, Direction::both)).id;
  tc.calls.clear();
  engine.update(id, delay(80ms), std::nullopt);
  ASSERT_EQ(tc.count("change_fault"), 2u);
  EXPECT_EQ(tc.plans.at({2, 1}), plan_slot(delay(80ms)));
  EXPECT_EQ(tc.plans.at({102, 1}), plan_slot(delay(80ms)));  // the fake's ifb for eth0
}

// When the second side refuses, the first has already changed: the engine's
// record of the slot must still describe what the kernel holds on each side.
TEST_F(FaultEngineUpdateTest, FailedUpdateOnOneSideLeavesNoSideOutOfStep) {
  const std::string id = engine.apply(spec(delay(30ms), "eth0", 0ms, Direction::both)).id;
  tc.cuts.erase({102, 1});  // the ingress side's change will fail
  EXPECT_THROW(engine.update(id, delay(80ms), std::nullopt), std::runtime_error);
  const Fault* f = engine.find(id);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(tc.plans.at({2, 1}).netem.delay.count(), f->plan.netem.delay.count())
      << "egress changed to 80 ms, the engine still records 30 ms";
  EXPECT_EQ(tc.plans.at({102, 1}).netem.delay.count(), f->plan.netem.delay.count());
}

TEST_F(FaultEngineUpdateTest, DuplicatingNetemNextToAnotherNetemIsConflict) {
  apply(delay(30ms));
  tc.calls.clear();
  EXPECT_THROW(apply(duplicate(1)), ConflictError);  // dup after delay
  EXPECT_EQ(tc.count("install_fault"), 0u);
  EXPECT_EQ(engine.list().size(), 1u);
  engine.revert_all();

  apply(duplicate(1));
  tc.calls.clear();
  EXPECT_THROW(apply(delay(30ms)), ConflictError);  // delay after dup
  EXPECT_EQ(tc.count("install_fault"), 0u);
  EXPECT_EQ(engine.list().size(), 1u);
}

TEST_F(FaultEngineUpdateTest, DuplicatingNetemConflictViaUpdate) {
  const std::string a = apply(delay(30ms));
  const std::string b = apply(delay(10ms));  // two netems without duplication: fine
  tc.calls.clear();
  EXPECT_THROW(engine.update(b, duplicate(1), std::nullopt), ConflictError);
  EXPECT_EQ(tc.count("change_fault"), 0u);
  EXPECT_EQ(engine.find(b)->spec.impairments, delay(10ms));
  engine.revert(a);
  // Alone on its device, a fault may turn into a duplicating one (it is not its own neighbour).
  EXPECT_NO_THROW(engine.update(b, duplicate(1), std::nullopt));
  EXPECT_EQ(tc.count("change_fault"), 1u);
}

TEST_F(FaultEngineUpdateTest, DuplicatingNetemAllowedElsewhere) {
  apply(delay(30ms), "eth0");
  EXPECT_NO_THROW(apply(duplicate(1), "eth1"));  // another device
  injector::CutImpairment cut;
  Impairments c;
  c.cut = cut;
  EXPECT_NO_THROW(apply(c, "eth1"));  // a blackhole is no netem
  EXPECT_NO_THROW(engine.apply(spec(duplicate(1), "eth0", 0ms, Direction::ingress)));  // the ifb's tree
  EXPECT_THROW(engine.apply(spec(duplicate(1), "eth0", 0ms, Direction::both)), ConflictError);
}

// A flap's up half is a netem like any other: a flap that duplicates must not
// be accepted next to a netem just because it starts (down) as a blackhole.
TEST_F(FaultEngineUpdateTest, FlapWithDuplicationCountsAsNetem) {
  apply(delay(30ms));
  EXPECT_THROW(apply(flap(1s, 30, 0ms, duplicate(1))), ConflictError);
  engine.revert_all();
  apply(flap(1s, 30, 0ms, duplicate(1)));
  EXPECT_THROW(apply(delay(30ms)), ConflictError);
}

TEST_F(FaultEngineUpdateTest, FlapSwitchesOnSchedule) {
  const SteadyTime start = now;
  const std::string id = apply(flap(1000ms, 30), "eth0", 10min);
  EXPECT_EQ(leaf_in_fake(), LeafKind::blackhole);  // a flap starts down
  EXPECT_TRUE(engine.find(id)->flap_down);
  ASSERT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(300ms).count());
  now = start + 299ms;
  EXPECT_TRUE(engine.run_due().empty());
  EXPECT_EQ(tc.count("change_fault"), 0u);
  SteadyTime expected = start;
  for (int cycle = 0; cycle < 5; ++cycle) {
    expected += 300ms;
    EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(expected - start).count()) << "cycle " << cycle;
    EXPECT_TRUE(step().empty());
    EXPECT_EQ(leaf_in_fake(), LeafKind::fifo) << "cycle " << cycle;
    EXPECT_FALSE(engine.find(id)->flap_down);
    expected += 700ms;
    EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(expected - start).count()) << "cycle " << cycle;
    EXPECT_TRUE(step().empty());
    EXPECT_EQ(leaf_in_fake(), LeafKind::blackhole) << "cycle " << cycle;
    EXPECT_TRUE(engine.find(id)->flap_down);
  }
  EXPECT_EQ(tc.count("change_fault"), 10u);
  EXPECT_EQ(engine.find(id)->deadline, start + 10min);
}

TEST_F(FaultEngineUpdateTest, FlapUpHalfCarriesTheOtherImpairments) {
  apply(flap(1000ms, 50, 0ms, delay(20ms)));
  EXPECT_EQ(leaf_in_fake(), LeafKind::blackhole);
  step();
  EXPECT_EQ(leaf_in_fake(), LeafKind::netem);
  EXPECT_EQ(tc.plans.at({2, 1}).netem.delay, 20ms);
  step();
  EXPECT_EQ(leaf_in_fake(), LeafKind::blackhole);
}

// duration_cast truncates: 29% of 100 ms comes out as 28 ms, and the cycle as 99 ms.
TEST_F(FaultEngineUpdateTest, FlapPhasesAreExactMilliseconds) {
  const SteadyTime start = now;
  apply(flap(100ms, 29));
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(29ms).count());
  step();
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(100ms).count());
}

TEST_F(FaultEngineUpdateTest, JitterKeepsSwitchesWithinJitterOfTheSchedule) {
  const SteadyTime start = now;
  apply(flap(1000ms, 30, 100ms), "eth0", 24h);
  SteadyTime nominal = start, previous = start;
  milliseconds worst{0};
  int moved = 0;
  for (int i = 0; i < 400; ++i) {
    nominal += i % 2 == 0 ? 300ms : 700ms;
    const SteadyTime at = *engine.next_deadline();
    ASSERT_GT(at, previous) << "switch " << i;
    const auto off = std::chrono::duration_cast<milliseconds>(at - nominal);
    if (std::chrono::abs(off) > worst) worst = std::chrono::abs(off);
    if (off != 0ms) ++moved;
    previous = at;
    ASSERT_TRUE(step().empty());
    ASSERT_EQ(leaf_in_fake(), i % 2 == 0 ? LeafKind::fifo : LeafKind::blackhole) << "switch " << i;
  }
  EXPECT_LE(worst, 100ms) << "switches drift from the schedule: jitter accumulates";
  EXPECT_GT(moved, 300) << "jitter does not move the switches";
}

TEST_F(FaultEngineUpdateTest, ExpiryWinsOverAFlapSwitch) {
  const SteadyTime start = now;
  const std::string id = apply(flap(1000ms, 30), "eth0", 1300ms);
  step();  // 300 ms: up
  step();  // 1000 ms: down
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(1300ms).count());  // the switch to up and the end coincide
  tc.calls.clear();
  EXPECT_EQ(step(), std::vector<std::string>{id});
  EXPECT_EQ(tc.count("change_fault"), 0u);
  EXPECT_EQ(engine.find(id), nullptr);
  EXPECT_FALSE(engine.next_deadline());
}

TEST_F(FaultEngineUpdateTest, LifetimeShorterThanFirstSwitch) {
  const SteadyTime start = now;
  const std::string id = apply(flap(1000ms, 50), "eth0", 200ms);
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(200ms).count());
  EXPECT_EQ(step(), std::vector<std::string>{id});
  EXPECT_EQ(tc.count("change_fault"), 0u);
  EXPECT_TRUE(tc.our_roots.empty());
}

TEST_F(FaultEngineUpdateTest, UpdateRemovingTheFlapStopsSwitching) {
  const SteadyTime start = now;
  const std::string id = apply(flap(1000ms, 30, 0ms, delay(20ms)), "eth0", 10min);
  const Fault& f = engine.update(id, delay(20ms), std::nullopt);
  EXPECT_FALSE(f.flap_down);
  EXPECT_FALSE(f.next_flap);
  EXPECT_EQ(leaf_in_fake(), LeafKind::netem);
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(10min).count());
  tc.calls.clear();
  now = start + 5min;
  EXPECT_TRUE(engine.run_due().empty());
  EXPECT_EQ(tc.count("change_fault"), 0u);
}

TEST_F(FaultEngineUpdateTest, UpdateKeepingTheFlapKeepsItsStateAndSchedule) {
  const SteadyTime start = now;
  const std::string id = apply(flap(1000ms, 30), "eth0", 10min);
  step();  // up at 300 ms
  const Fault& f = engine.update(id, flap(1000ms, 30, 0ms, delay(20ms)), std::nullopt);
  EXPECT_FALSE(f.flap_down);
  EXPECT_EQ(leaf_in_fake(), LeafKind::netem);
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(1000ms).count());
  step();
  EXPECT_EQ(leaf_in_fake(), LeafKind::blackhole);
}

TEST_F(FaultEngineUpdateTest, UpdateAddingAFlapStartsItDown) {
  const SteadyTime start = now;
  const std::string id = apply(delay(20ms), "eth0", 10min);
  now += 1s;
  const Fault& f = engine.update(id, flap(2000ms, 40, 0ms, delay(20ms)), std::nullopt);
  EXPECT_TRUE(f.flap_down);
  EXPECT_EQ(leaf_in_fake(), LeafKind::blackhole);
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(1s + 800ms).count());  // 40% of the new flap's period
  step();
  EXPECT_EQ(leaf_in_fake(), LeafKind::netem);
  EXPECT_EQ(next_in_ms(start), std::chrono::duration_cast<milliseconds>(1s + 2000ms).count());
}

}  // namespace
