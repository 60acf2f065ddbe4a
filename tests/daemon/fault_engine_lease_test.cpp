// Leases: a held fault lives while its holder renews it, and no longer.
#include <gtest/gtest.h>

#include <thread>

#include "common/field_error.h"
#include "daemon/fault_engine.h"
#include "tests/daemon/engine_fixture.h"
#include "tests/daemon/fake_tc.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector;
using namespace std::chrono_literals;
using injector::testing::FakeTc;

FaultSpec held_cut(std::chrono::milliseconds lease) {
  FaultSpec s = injector::testing::cut_spec();
  s.lifetime.lease = lease;
  return s;
}

class LeaseTest : public injector::testing::EngineTest {};

TEST_F(LeaseTest, AnUnrenewedLeaseRevertsTheFaultAtItsEnd) {
  auto engine = make();
  const std::string id = engine.apply(held_cut(10s)).id;
  EXPECT_EQ(engine.next_deadline(), now + 10s) << "the timer wakes for the lease, not the lifetime";
  now += 9999ms;
  EXPECT_TRUE(engine.run_due().empty());
  now += 1ms;
  EXPECT_EQ(engine.run_due(), std::vector<std::string>{id});
  EXPECT_EQ(engine.find(id), nullptr);
  EXPECT_TRUE(tc.our_roots.empty()) << "reverted in the kernel too";
  EXPECT_EQ(engine.lease_expiries(), 1u);
}

TEST_F(LeaseTest, RenewingStartsTheLeaseAgain) {
  auto engine = make();
  const std::string id = engine.apply(held_cut(10s)).id;
  for (int i = 0; i < 5; ++i) {
    now += 8s;
    engine.renew(id);
    EXPECT_TRUE(engine.run_due().empty());
  }
  EXPECT_EQ(*engine.find(id)->lease_deadline, now + 10s);
  EXPECT_EQ(engine.lease_expiries(), 0u);
}

TEST_F(LeaseTest, AFaultWithoutALeaseHasNoneToRenew) {
  auto engine = make();
  const std::string id = engine.apply(held_cut(0ms)).id;
  EXPECT_FALSE(engine.find(id)->lease_deadline);
  EXPECT_THROW(engine.renew(id), FieldError);
  EXPECT_THROW(engine.renew("f-000000000000"), NotFoundError);
}

TEST_F(LeaseTest, LeasesOutOfRangeAreRefusedNamingTheField) {
  auto engine = make();
  for (std::chrono::milliseconds lease : {50ms, std::chrono::milliseconds(2h)}) {
    try {
      engine.apply(held_cut(lease));
      ADD_FAILURE() << lease.count() << " ms accepted";
    } catch (const FieldError& e) {
      EXPECT_EQ(e.field(), "lifetime.lease_ms");
    }
  }
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(LeaseTest, ARestartResumesAHeldFaultOnlyWhileItsLeaseRuns) {
  injector::testing::TempDir dir;
  Journal journal(dir.path());
  std::string alive;
  {
    auto engine = make(&journal);
    alive = engine.apply(held_cut(60s)).id;
    engine.apply(held_cut(100ms));  // its holder is gone: the lease runs out while the daemon is down
  }
  std::this_thread::sleep_for(150ms);
  const auto saved = journal.load();
  tc.our_roots.clear();  // what the restarted daemon's cleanup removes from the kernel
  tc.cuts.clear();
  auto engine = make(&journal);
  engine.cleanup_leftovers();
  EXPECT_EQ(engine.resume(*saved), std::vector<std::string>{alive});
  const auto left = *engine.find(alive)->lease_deadline - now;
  EXPECT_GT(left, 59s);
  EXPECT_LE(left, 60s);
}

}  // namespace
