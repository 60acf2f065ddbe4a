// netem faults on real traffic. These need sch_netem, which the development
// and CI kernels lack, so they run in the stock-kernel lane (scripts/vm-test,
// CTest label "vm"): there a missing netem is a failure, never a skip. The
// behaviour shared with the delay line is in integration/impairment_behaviour_test.cpp.

#include "integration/impairment_behaviour.h"

namespace injector::testing {
namespace {

using nlohmann::json;

INSTANTIATE_TEST_SUITE_P(Netem, Behaviour, ::testing::Values("netem"));

class Netem : public Behaviour {};
INSTANTIATE_TEST_SUITE_P(Netem, Netem, ::testing::Values("netem"));

TEST_P(Netem, DuplicatingNetemBesideAnotherNetemIsRefusedClearly) {
  apply({{"delay", {{"time_us", 10000}}}}, {ThreeSiteLab::v4_net('b')});
  const std::string before = lab_->tc_snapshot('a');
  json body = {{"device", "eth0"}, {"backend", "netem"}, {"match", {{"to", {ThreeSiteLab::v4_net('c')}}}},
               {"impairments", {{"duplicate", {{"percent", 5}}}}}};
  const auto a = api("POST", "/v1/faults", body.dump());
  EXPECT_EQ(a.status, 409) << a.body.dump();
  EXPECT_NE(a.body["error"].value("message", "").find("duplicating netem"), std::string::npos) << a.body.dump();
  EXPECT_EQ(lab_->tc_snapshot('a'), before);
}

// What the kernel refuses, auto serves with the delay line beside the netem.
// Catches a duplicate rate off by half on the delay line, or b's netem delay
// off by its margin.
TEST_P(Netem, AutoServesTheDuplicatingMixWithTheDelayLine) {
  const double base = median('a', ThreeSiteLab::v4('b'));
  apply({{"delay", {{"time_us", 10000}}}}, {ThreeSiteLab::v4_net('b')});
  json body = {{"device", "eth0"}, {"match", {{"to", {ThreeSiteLab::v4_net('c')}}}},
               {"impairments", {{"duplicate", {{"percent", 10}}}}}};
  const auto a = api("POST", "/v1/faults", body.dump());
  ASSERT_EQ(a.status, 201) << a.body.dump();
  EXPECT_EQ(a.body.value("backend", ""), "delayline");
  const int n = samples(0.10);
  // One probe more: ping stops at its last original reply, before that probe's copy.
  const auto per = replies_per_probe(ThreeSiteLab::v4('c'), n + 1);
  EXPECT_EQ(std::count(per.begin() + 1, per.end(), 0), 0) << "duplication loses nothing";
  expect_rate(static_cast<int>(std::count(per.begin() + 1, per.end() - 1, 2)), n, 0.10, "probes to c answered twice");
  EXPECT_NEAR(median('a', ThreeSiteLab::v4('b')) - base, 10.0, tolerance(10)) << "b keeps its netem delay";
}

}  // namespace
}  // namespace injector::testing
