// Which backend serves a fault (netem or the delay line), and the delay
// line's bookkeeping: queues per side, flaps, updates, rollback, resume.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "daemon/fault_engine.h"
#include "tests/daemon/fake_queues.h"
#include "tests/daemon/fake_tc.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector;
using namespace std::chrono_literals;
using injector::testing::FakeQueues;
using injector::testing::FakeTc;

FaultSpec delay_spec(Backend backend = Backend::auto_select, Direction direction = Direction::egress) {
  FaultSpec s;
  s.device = "eth0";
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.direction = direction;
  s.backend = backend;
  s.impairments.delay = DelayImpairment{30ms, 0us, 0, Distribution::none};
  return s;
}

tc::Capabilities kernel(bool netem, bool delay_line) {
  tc::Capabilities caps;
  for (const char* f : {"sch_htb", "cls_u32", "sch_blackhole", "sch_ingress", "ifb", "act_mirred"}) {
    caps.features[f] = true;
  }
  caps.features["sch_netem"] = netem;
  caps.features["nfnetlink_queue"] = delay_line;
  caps.features["nft_compat"] = delay_line;
  return caps;
}

class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }
  FaultEngine make(bool netem, bool delay_line, Journal* journal = nullptr) {
    EngineConfig config;
    config.capabilities = kernel(netem, delay_line);
    FaultEngine engine(tc, journal, config, [this] { return now; });
    engine.attach_delay_line(&queues);
    return engine;
  }
  FakeTc tc;
  FakeQueues queues;
  SteadyTime now{};
};

TEST_F(BackendTest, AutoTakesTheDelayLineWhenTheKernelLacksNetem) {
  auto engine = make(/*netem=*/false, /*delay_line=*/true);
  const Fault& f = engine.apply(delay_spec());
  EXPECT_EQ(f.backend, Backend::delayline);
  ASSERT_EQ(queues.queues.size(), 1u);
  EXPECT_EQ(queues.queues.begin()->first, delayline::queue_number(1, Direction::egress));
  EXPECT_EQ(queues.queues.begin()->second.device, "eth0");
  EXPECT_TRUE(tc.calls.empty()) << "no traffic control for a delay-line fault";
  engine.revert(f.id);
  EXPECT_TRUE(queues.queues.empty());
}

TEST_F(BackendTest, AutoTakesNetemWhereTheKernelHasIt) {
  auto engine = make(true, true);
  EXPECT_EQ(engine.apply(delay_spec()).backend, Backend::netem);
  EXPECT_TRUE(queues.queues.empty());
}

TEST_F(BackendTest, CutsAndBandwidthStayInTrafficControlWithoutNetem) {
  auto engine = make(false, true);
  FaultSpec s = delay_spec();
  s.impairments = {};
  s.impairments.bandwidth = BandwidthImpairment{10'000'000, 0};
  EXPECT_EQ(engine.apply(s).backend, Backend::netem);
  EXPECT_TRUE(queues.queues.empty());
}

TEST_F(BackendTest, AskingForAMissingBackendIsRefusedNamingTheFeature) {
  auto engine = make(false, false);
  EXPECT_THROW(
      try { engine.apply(delay_spec(Backend::netem)); } catch (const UnsupportedError& e) {
        EXPECT_NE(std::string(e.what()).find("sch_netem"), std::string::npos) << e.what();
        throw;
      },
      UnsupportedError);
  EXPECT_THROW(
      try { engine.apply(delay_spec(Backend::delayline)); } catch (const UnsupportedError& e) {
        EXPECT_NE(std::string(e.what()).find("nfnetlink_queue"), std::string::npos) << e.what();
        throw;
      },
      UnsupportedError);
  EXPECT_THROW(engine.apply(delay_spec()), UnsupportedError) << "auto with neither backend";
  EXPECT_TRUE(engine.list().empty());
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(BackendTest, AutoServesTheDuplicatingMixTheKernelRefusesWithTheDelayLine) {
  auto engine = make(true, true);
  ASSERT_EQ(engine.apply(delay_spec()).backend, Backend::netem);
  FaultSpec dup = delay_spec();
  dup.match.to = {Cidr::parse("192.168.0.0/16")};
  dup.impairments.duplicate = ChanceImpairment{5, 0};
  FaultSpec forced = dup;
  forced.backend = Backend::netem;
  EXPECT_THROW(engine.apply(forced), ConflictError) << "netem asked for explicitly";
  EXPECT_EQ(engine.apply(dup).backend, Backend::delayline);
}

TEST_F(BackendTest, TheDelayLineDuplicatesOnEgressOnly) {
  auto engine = make(false, true);
  FaultSpec s = delay_spec(Backend::delayline, Direction::ingress);
  s.impairments.duplicate = ChanceImpairment{5, 0};
  EXPECT_THROW(engine.apply(s), UnsupportedError);
  EXPECT_TRUE(queues.queues.empty());
}

TEST_F(BackendTest, BothDirectionsTakeOneQueueEachAndSlotsDoNotCollide) {
  auto engine = make(false, true);
  const Fault& a = engine.apply(delay_spec(Backend::delayline, Direction::both));
  FaultSpec other = delay_spec(Backend::delayline);
  other.device = "eth1";  // another device, still another queue: queue numbers are per namespace
  const Fault& b = engine.apply(other);
  ASSERT_EQ(a.placements.size(), 2u);
  EXPECT_NE(a.placements[0].queue, a.placements[1].queue);
  EXPECT_NE(b.placements[0].queue, a.placements[0].queue);
  EXPECT_NE(b.placements[0].queue, a.placements[1].queue);
  EXPECT_EQ(queues.queues.size(), 3u);
  EXPECT_EQ(queues.queues.at(a.placements[1].queue).side, Direction::ingress);
  const auto c = engine.queue_counters(a);
  EXPECT_EQ(c.packets_seen, std::uint64_t(a.placements[0].queue) + a.placements[1].queue) << "summed over sides";
}

TEST_F(BackendTest, AFailedSideRollsBackTheOther) {
  auto engine = make(false, true);
  queues.fail_install_after = 1;
  EXPECT_THROW(engine.apply(delay_spec(Backend::delayline, Direction::both)), std::runtime_error);
  EXPECT_TRUE(queues.queues.empty());
  EXPECT_TRUE(engine.list().empty());
}

TEST_F(BackendTest, FlapsAndUpdatesChangeTheQueueInPlace) {
  auto engine = make(false, true);
  FaultSpec s = delay_spec(Backend::delayline);
  s.impairments.flap = FlapImpairment{1000ms, 50, 0ms};
  const Fault& f = engine.apply(s);
  const auto q = f.placements[0].queue;
  EXPECT_TRUE(queues.queues.at(q).down) << "a flap starts down";
  now += 600ms;
  engine.run_due();
  EXPECT_FALSE(queues.queues.at(q).down);
  Impairments more = s.impairments;
  more.delay->time = 200ms;
  engine.update(f.id, more, std::nullopt);
  EXPECT_EQ(queues.queues.at(q).impairments.delay->time, 200ms);
  EXPECT_EQ(queues.installs, 1) << "changed, never reinstalled";
}

TEST_F(BackendTest, ARestartResumesWhatTheJournalHoldsWithTheTimeLeft) {
  injector::testing::TempDir dir;
  Journal journal(dir.path());
  std::string kept;
  {
    auto engine = make(false, true, &journal);
    FaultSpec s = delay_spec(Backend::delayline);
    s.lifetime.duration = 10min;
    kept = engine.apply(s).id;
    FaultSpec gone = delay_spec(Backend::delayline);
    gone.lifetime.duration = 1ms;
    engine.apply(gone);
  }
  std::this_thread::sleep_for(5ms);  // the short one's lifetime ends "while the daemon is down"
  const auto saved = journal.load();
  ASSERT_TRUE(saved);
  queues.queues.clear();
  queues.leftovers = true;
  auto engine = make(false, true, &journal);
  engine.cleanup_leftovers();
  EXPECT_FALSE(queues.leftovers);
  const auto resumed = engine.resume(*saved);
  ASSERT_EQ(resumed, std::vector<std::string>{kept});
  const Fault* f = engine.find(kept);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->backend, Backend::delayline);
  EXPECT_GT(f->deadline - now, 9min);
  EXPECT_LE(f->deadline - now, 10min);
  EXPECT_EQ(queues.queues.size(), 1u);
  EXPECT_EQ(journal.load()->at("faults").size(), 1u) << "the journal holds the resumed fault again";
}

}  // namespace
