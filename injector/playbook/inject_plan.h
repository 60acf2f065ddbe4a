#pragma once
// An inject step as the per-host faults a run sends: the fleet planners
// (injector/fleet/plan.h) for partitions and links, one host's fault for
// `host`. Pure, like the planners: `playbook plan` prints exactly this, and
// the runner is meant to send exactly this.

#include <string>

#include "injector/fleet/inventory.h"
#include "injector/fleet/plan.h"
#include "injector/playbook/playbook.h"

namespace injector::playbook {

// Label keys every fault of a drill carries, beside fleet.op.
inline constexpr const char* kDrillLabel = "drill";            // the playbook's name
inline constexpr const char* kDrillStepLabel = "drill.step";   // the step's id, else its path

// What an inject's per-host faults share: held by safety.lease, lasting
// `for` plus one lease (the runner reverts at `for`; the daemon ends it
// one lease later on its own), labelled with the drill and step.
fleet::PlanOptions inject_plan_options(const Playbook& pb, const Step& step, const InjectStep& inject);

// Throws FieldError (from the planners or the fault's own checks) when the
// inventory cannot carry it; the field is then the planner's.
fleet::Plan plan_inject(const InjectStep& inject, const fleet::Inventory& inv, const fleet::PlanOptions& options);

// "partition isolate hz", "link hz <-> sz delay=30ms", "host hz-1 -> 10.77.2.0/24 loss=5%".
std::string inject_target_summary(const InjectStep& inject);

}  // namespace injector::playbook
