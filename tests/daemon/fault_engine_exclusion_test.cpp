#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "common/exclusion.h"
#include "daemon/fault_engine.h"
#include "daemon/tc/exclusion_rules.h"
#include "tests/daemon/fake_tc.h"

namespace {

using injector::Cidr;
using injector::ControlPath;
using injector::CutImpairment;
using injector::Direction;
using injector::EngineConfig;
using injector::FaultEngine;
using injector::FaultSpec;
using injector::parse_exclusion;
using injector::testing::FakeTc;

FaultSpec cut(Direction d = Direction::egress, ControlPath c = ControlPath::exclude) {
  FaultSpec s;
  s.device = "eth0";
  s.match.to = {Cidr::parse("10.0.0.0/8")};
  s.impairments.cut = CutImpairment{};
  s.direction = d;
  s.control_path = c;
  return s;
}

EngineConfig with_exclusions() {
  EngineConfig config;
  config.control_exclusions = {parse_exclusion("tcp:22"), injector::listen_exclusion(7443)};
  return config;
}

class EngineExclusions : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  FakeTc tc;
};

TEST_F(EngineExclusions, FirstFaultOnASideInstallsThemOnceAndTheFaultRecordsThem) {
  FaultEngine engine(tc, nullptr, with_exclusions());
  const auto& f = engine.apply(cut());
  EXPECT_EQ(f.excluded, with_exclusions().control_exclusions);
  EXPECT_FALSE(tc.ahead.at({2, f.slot}));
  engine.apply(cut());
  EXPECT_EQ(tc.count("install_exclusions"), 1u);
  EXPECT_EQ(tc.exclusions.at(2).size(), injector::tc::exclusion_rules(with_exclusions().control_exclusions, Direction::egress).size());
  engine.revert_all();
  EXPECT_TRUE(tc.exclusions.empty());  // they go with the root
}

TEST_F(EngineExclusions, IngressSideGetsTheSwappedRulesOnItsIfb) {
  FaultEngine engine(tc, nullptr, with_exclusions());
  engine.apply(cut(Direction::both));
  const auto ingress = injector::tc::exclusion_rules(with_exclusions().control_exclusions, Direction::ingress);
  ASSERT_TRUE(tc.exclusions.count(102));
  ASSERT_EQ(tc.exclusions.at(102).size(), ingress.size());
  EXPECT_EQ(tc.exclusions.at(102)[0].keys, ingress[0].keys);
  EXPECT_EQ(tc.exclusions.at(2)[0].keys,
            injector::tc::exclusion_rules(with_exclusions().control_exclusions, Direction::egress)[0].keys);
}

TEST_F(EngineExclusions, AnOptedOutFaultGoesAheadOfThemAndRecordsNone) {
  FaultEngine engine(tc, nullptr, with_exclusions());
  const auto& f = engine.apply(cut(Direction::egress, ControlPath::include));
  EXPECT_TRUE(f.excluded.empty());
  EXPECT_TRUE(tc.ahead.at({2, f.slot}));
  const auto& g = engine.apply(cut());
  EXPECT_FALSE(tc.ahead.at({2, g.slot}));
  engine.revert(f.id);  // the fake throws if removed from the other priorities
  EXPECT_EQ(tc.count("remove_fault"), 1u);
}

TEST_F(EngineExclusions, NoneConfiguredInstallsNothing) {
  FaultEngine engine(tc, nullptr, EngineConfig{});
  EXPECT_TRUE(engine.apply(cut()).excluded.empty());
  EXPECT_EQ(tc.count("install_exclusions"), 0u);
}

TEST_F(EngineExclusions, AFailedInstallLeavesNoRootBehind) {
  tc.fail_install_exclusions = true;
  FaultEngine engine(tc, nullptr, with_exclusions());
  EXPECT_THROW(engine.apply(cut()), std::runtime_error);
  EXPECT_TRUE(tc.our_roots.empty());
  EXPECT_TRUE(engine.list().empty());
}

}  // namespace
