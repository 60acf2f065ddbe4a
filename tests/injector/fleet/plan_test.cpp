#include "injector/fleet/plan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/field_error.h"

namespace {

using namespace injector;
using namespace injector::fleet;

// Three datacenters with two hosts each, like `scripts/lab up --hosts-per-dc 2`.
Inventory three_by_two() {
  std::string yaml = "version: 1\ndatacenters:\n";
  const char* dcs[] = {"hz", "sh", "sz"};
  for (int k = 1; k <= 3; ++k) {
    yaml += "  - {name: " + std::string(dcs[k - 1]) + ", cidrs: [10.77." + std::to_string(k) + ".0/24, \"fd77:0:" +
            std::to_string(k) + "::/64\"]}\n";
  }
  yaml += "hosts:\n";
  for (int k = 1; k <= 3; ++k) {
    for (int i = 1; i <= 2; ++i) {
      const std::string name = std::string(dcs[k - 1]) + "-" + std::to_string(i);
      yaml += "  - {name: " + name + ", datacenter: " + dcs[k - 1] + ", daemon: \"unix:/run/x/" + name +
              ".sock\", device: eth0, addresses: [10.77." + std::to_string(k) + "." + std::to_string(10 + i) + "]}\n";
    }
  }
  return parse_inventory(yaml);
}

// "host->peer" for every (host, peer datacenter) pair a plan faults.
std::set<std::string> pairs(const Plan& plan) {
  std::set<std::string> out;
  for (const auto& f : plan.faults) {
    for (const auto& p : f.peers) out.insert(f.host->name + "->" + p);
  }
  return out;
}

TEST(FleetPlan, IsolateCutsBothSidesEgressTowardEachOther) {
  const auto inv = three_by_two();
  const Plan plan = plan_isolate(inv, "hz", false, {});
  EXPECT_EQ(pairs(plan), (std::set<std::string>{"hz-1->sh", "hz-1->sz", "hz-2->sh", "hz-2->sz", "sh-1->hz", "sh-2->hz",
                                                "sz-1->hz", "sz-2->hz"}));
  const auto& hz1 = plan.faults[0];
  EXPECT_TRUE(hz1.spec.impairments.cut.has_value());
  EXPECT_EQ(hz1.spec.direction, Direction::egress);
  EXPECT_EQ(hz1.spec.match.to.size(), 4u);  // sh and sz, both families
  EXPECT_EQ(hz1.spec.labels.at(kOperationLabel), plan.operation);
  EXPECT_EQ(plan.operation.rfind("op-", 0), 0u);
}

TEST(FleetPlan, OneWayOnlyFaultsTheFirstSide) {
  const auto inv = three_by_two();
  EXPECT_EQ(pairs(plan_isolate(inv, "hz", true, {})),
            (std::set<std::string>{"hz-1->sh", "hz-1->sz", "hz-2->sh", "hz-2->sz"}));
  EXPECT_EQ(pairs(plan_partition(inv, {{"hz", "sh"}, {"sz"}}, true, {})),
            (std::set<std::string>{"hz-1->sz", "hz-2->sz", "sh-1->sz", "sh-2->sz"}));
}

TEST(FleetPlan, GrudgeBetweenGroupsLeavesTrafficInsideAGroup) {
  const auto inv = three_by_two();  // the plan points into it
  const auto plan = plan_partition(inv, {{"hz", "sh"}, {"sz"}}, false, {});
  EXPECT_EQ(pairs(plan), (std::set<std::string>{"hz-1->sz", "hz-2->sz", "sh-1->sz", "sh-2->sz", "sz-1->hz", "sz-1->sh",
                                                "sz-2->hz", "sz-2->sh"}));
}

TEST(FleetPlan, LinkDelayIsAppliedInEachDirectionUnlessOneWay) {
  const auto inv = three_by_two();
  Impairments delay;
  delay.delay = DelayImpairment{};
  delay.delay->time = std::chrono::milliseconds(30);
  PlanOptions options;
  options.operation = "op-test";
  options.labels = {{"drill", "q3"}};
  const auto both = plan_link(inv, "hz", "sz", false, delay, options);
  EXPECT_EQ(pairs(both), (std::set<std::string>{"hz-1->sz", "hz-2->sz", "sz-1->hz", "sz-2->hz"}));
  EXPECT_EQ(both.faults[0].spec.impairments, delay);
  EXPECT_EQ(both.faults[0].spec.labels.at("drill"), "q3");
  EXPECT_EQ(both.operation, "op-test");
  EXPECT_EQ(pairs(plan_link(inv, "hz", "sz", true, delay, options)), (std::set<std::string>{"hz-1->sz", "hz-2->sz"}));
}

TEST(FleetPlan, RefusesRequestsThatNameNothingOrOverlap) {
  const auto inv = three_by_two();
  Impairments cut;
  cut.cut = CutImpairment{};
  EXPECT_THROW(plan_isolate(inv, "xx", false, {}), FieldError);
  EXPECT_THROW(plan_partition(inv, {{"hz"}}, false, {}), FieldError);
  EXPECT_THROW(plan_partition(inv, {{"hz", "sh"}, {"sh"}}, false, {}), FieldError);
  EXPECT_THROW(plan_link(inv, "hz", "hz", false, cut, {}), FieldError);
  EXPECT_THROW(plan_link(inv, "hz", "sz", false, Impairments{}, {}), FieldError);
}

TEST(FleetPlan, OneHostTowardGivenNetworksOnItsOwnDeviceOrTheOneNamed) {
  const auto inv = three_by_two();
  Impairments loss;
  loss.loss = LossImpairment{};
  loss.loss->percent = 5;
  const std::vector<Cidr> to = {Cidr::parse("10.99.0.0/16")};
  PlanOptions options;
  options.operation = "op-host";
  const Plan own = plan_host(inv, "sh-2", "", to, loss, options);
  ASSERT_EQ(own.faults.size(), 1u);
  EXPECT_EQ(own.faults[0].host->name, "sh-2");
  EXPECT_EQ(own.faults[0].spec.device, "eth0");
  EXPECT_TRUE(own.faults[0].peers.empty());
  EXPECT_EQ(own.faults[0].spec.match.to, to);
  EXPECT_EQ(own.faults[0].spec.impairments, loss);
  EXPECT_EQ(own.faults[0].spec.labels.at(kOperationLabel), "op-host");
  EXPECT_EQ(own.description, "host sh-2 -> 10.99.0.0/16");
  EXPECT_EQ(plan_host(inv, "sh-2", "veth9", to, loss, options).faults[0].spec.device, "veth9");
  EXPECT_THROW(plan_host(inv, "xx-1", "", to, loss, options), FieldError);
  EXPECT_THROW(plan_host(inv, "sh-2", "", {}, loss, options), FieldError);
  EXPECT_THROW(plan_host(inv, "sh-2", "", to, Impairments{}, options), FieldError);
}

}  // namespace
