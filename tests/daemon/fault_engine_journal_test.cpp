// Who created a fault is part of what the journal keeps: a restarted daemon
// resumes the fault with its creator.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "daemon/fault_engine.h"
#include "tests/daemon/fake_tc.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector;
using namespace std::chrono_literals;

FaultSpec cut() {
  FaultSpec s;
  s.device = "eth0";
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.impairments.cut = CutImpairment{};
  s.lifetime.duration = 10min;
  return s;
}

TEST(FaultEngineJournal, TheCreatorSurvivesARestart) {
  spdlog::set_level(spdlog::level::off);
  injector::testing::FakeTc tc;
  injector::testing::TempDir dir;
  Journal journal(dir.path());
  std::string by_cert, by_uid;
  {
    FaultEngine engine(tc, &journal, {});
    by_cert = engine.apply(cut(), "cert:CN=ci-runner,O=payments").id;
    by_uid = engine.apply(cut(), "uid:1000").id;
    EXPECT_EQ(engine.find(by_cert)->created_by, "cert:CN=ci-runner,O=payments");
  }
  const auto saved = journal.load();
  ASSERT_TRUE(saved.has_value());
  tc.our_roots.clear();  // what the restarted daemon's cleanup removes from the kernel
  tc.cuts.clear();
  FaultEngine engine(tc, &journal, {});
  engine.cleanup_leftovers();
  ASSERT_EQ(engine.resume(*saved).size(), 2u);
  EXPECT_EQ(engine.find(by_cert)->created_by, "cert:CN=ci-runner,O=payments");
  EXPECT_EQ(engine.find(by_uid)->created_by, "uid:1000");
  spdlog::set_level(spdlog::level::info);
}

}  // namespace
