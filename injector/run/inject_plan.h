#pragma once
// A playbook's inject step as per-host faults: the same fleet planners as
// `injector partition` and `injector link`, so a drill sends exactly what
// the CLI would, and `playbook plan` prints exactly what a run sends.

#include "injector/fleet/inventory.h"
#include "injector/fleet/plan.h"
#include "injector/playbook/playbook.h"

namespace injector::run {

// Throws FieldError (a name the inventory lacks, a spec the daemons would refuse).
fleet::Plan plan_inject(const fleet::Inventory& inv, const playbook::InjectStep& step,
                        const fleet::PlanOptions& options);

// "partition isolate hz", "link hz->sz delay 30ms", for reports and progress lines.
std::string describe_inject(const playbook::InjectStep& step);

}  // namespace injector::run
