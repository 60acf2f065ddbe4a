#include "injector/playbook/inject_plan.h"

#include "common/strings.h"

namespace injector::playbook {
namespace {

// The impairments as written (their flag names): "delay=30ms jitter=5ms".
std::string impair_text(const StringMap& impair) {
  std::string out;
  for (const auto& [key, value] : impair) out += (out.empty() ? "" : " ") + key + "=" + value;
  return out;
}

}  // namespace

fleet::PlanOptions inject_plan_options(const Playbook& pb, const Step& step, const InjectStep& inject) {
  fleet::PlanOptions o;
  // The runner reverts the fault at the end of `for` itself (and reports
  // when that was confirmed); the daemon's own end, one lease later, is the
  // backstop for a runner that could not.
  o.lifetime.duration = inject.duration + pb.safety.lease;
  o.lifetime.lease = pb.safety.lease;
  o.labels[kDrillLabel] = pb.name;
  o.labels[kDrillStepLabel] = step.id.empty() ? step.path : step.id;
  return o;
}

fleet::Plan plan_inject(const InjectStep& inject, const fleet::Inventory& inv, const fleet::PlanOptions& options) {
  if (const auto* p = std::get_if<PartitionTarget>(&inject.target)) {
    if (!p->isolate.empty()) return fleet::plan_isolate(inv, p->isolate, p->one_way, options);
    return fleet::plan_partition(inv, p->groups, p->one_way, options);
  }
  if (const auto* l = std::get_if<LinkTarget>(&inject.target)) {
    return fleet::plan_link(inv, l->from, l->to, l->one_way, inject.impairments, options);
  }
  const auto& h = std::get<HostTarget>(inject.target);
  return fleet::plan_host(inv, h.host, h.device, h.to, inject.impairments, options);
}

std::string inject_target_summary(const InjectStep& inject) {
  if (const auto* p = std::get_if<PartitionTarget>(&inject.target)) {
    std::string out = "partition ";
    if (!p->isolate.empty()) {
      out += "isolate " + p->isolate;
    } else {
      for (std::size_t g = 0; g < p->groups.size(); ++g) out += (g ? " | {" : "{") + join(p->groups[g]) + "}";
    }
    return out + (p->one_way ? " one way" : "");
  }
  if (const auto* l = std::get_if<LinkTarget>(&inject.target)) {
    return "link " + l->from + (l->one_way ? " -> " : " <-> ") + l->to + " " + impair_text(inject.impair);
  }
  const auto& h = std::get<HostTarget>(inject.target);
  std::string to;
  for (const auto& c : h.to) to += (to.empty() ? "" : ",") + c.to_string();
  return "host " + h.host + " -> " + to + " " + impair_text(inject.impair);
}

}  // namespace injector::playbook
