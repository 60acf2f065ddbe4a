#include "injector/run/inject_plan.h"

#include <variant>

#include "common/overloaded.h"

#include "common/field_error.h"
#include "common/strings.h"

namespace injector::run {
namespace {

fleet::Plan plan_host(const fleet::Inventory& inv, const playbook::HostTarget& t, const Impairments& impairments,
                      const fleet::PlanOptions& options) {
  const fleet::Host* host = inv.host(t.host);
  if (!host) throw FieldError("inject.host", "no host named '" + t.host + "' in " + inv.path);
  fleet::HostFault f;
  f.host = host;
  f.spec.device = t.device.empty() ? host->device : t.device;
  f.spec.match.to = t.to;
  f.spec.direction = Direction::egress;
  f.spec.backend = options.backend;
  f.spec.impairments = impairments;
  f.spec.lifetime = options.lifetime;
  f.spec.labels = options.labels;
  fleet::Plan plan;
  plan.operation = options.operation.empty() ? fleet::new_operation_id() : options.operation;
  plan.description = "host " + t.host;
  f.spec.labels[fleet::kOperationLabel] = plan.operation;
  validate(f.spec);
  plan.faults.push_back(std::move(f));
  return plan;
}

}  // namespace

fleet::Plan plan_inject(const fleet::Inventory& inv, const playbook::InjectStep& step,
                        const fleet::PlanOptions& options) {
  return std::visit(
      Overloaded{
          [&](const playbook::PartitionTarget& t) {
            return t.isolate.empty() ? fleet::plan_partition(inv, t.groups, t.one_way, options)
                                     : fleet::plan_isolate(inv, t.isolate, t.one_way, options);
          },
          [&](const playbook::LinkTarget& t) {
            return fleet::plan_link(inv, t.from, t.to, t.one_way, step.impairments, options);
          },
          [&](const playbook::HostTarget& t) { return plan_host(inv, t, step.impairments, options); },
      },
      step.target);
}

std::string describe_inject(const playbook::InjectStep& step) {
  std::string what = std::visit(
      Overloaded{
          [](const playbook::PartitionTarget& t) {
            std::string s = "partition ";
            if (!t.isolate.empty()) {
              s += "isolate " + t.isolate;
            } else {
              for (std::size_t i = 0; i < t.groups.size(); ++i) s += (i ? " | " : "") + join(t.groups[i]);
            }
            return s + (t.one_way ? " one-way" : "");
          },
          [](const playbook::LinkTarget& t) { return "link " + t.from + (t.one_way ? "->" : "<->") + t.to; },
          [](const playbook::HostTarget& t) { return "host " + t.host; },
      },
      step.target);
  for (const auto& [flag, value] : step.impair) what += " " + flag + (value.empty() ? "" : " " + value);
  return what;
}

}  // namespace injector::run
