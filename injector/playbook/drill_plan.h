#pragma once
// What `injector playbook plan` shows: the timeline, the per-host faults of
// every inject as a run would send them, the guards, the invariants and the
// safety settings. Built without contacting anything.

#include <nlohmann/json.hpp>

#include <ostream>
#include <vector>

#include "injector/fleet/inventory.h"
#include "injector/fleet/plan.h"
#include "injector/playbook/playbook.h"
#include "injector/playbook/timeline.h"
#include "injector/playbook/vars.h"

namespace injector::playbook {

struct InjectPlan {
  const Step* step = nullptr;
  fleet::Plan plan;
};

struct DrillPlan {
  const Playbook* playbook = nullptr;    // must outlive the plan
  const fleet::Inventory* inventory = nullptr;  // null only when there is no inject; must outlive the plan
  Timeline timeline;
  std::vector<InjectPlan> injects;  // in step order, parallel children in place
};

// Errors (exit 2): an inject with no inventory, or one the inventory cannot
// carry (the planners' error, under the step's path).
DrillPlan make_drill_plan(const Playbook& pb, const fleet::Inventory* inventory, Errors& errors);

nlohmann::json drill_plan_json(const DrillPlan& plan);
void print_drill_plan(const DrillPlan& plan, std::ostream& out);

}  // namespace injector::playbook
