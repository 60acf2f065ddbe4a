#include "injector/playbook/drill_plan.h"

#include <algorithm>
#include <sstream>

#include "common/field_error.h"
#include "injector/fleet/fleet_output.h"
#include "injector/playbook/inject_plan.h"
#include "injector/playbook/names.h"

namespace injector::playbook {
namespace {

using nlohmann::json;

constexpr Millis kGuardWindow = std::chrono::seconds(2);  // playbooks/README.md: a guard's default window

void plan_injects(const Playbook& pb, const Step& s, const fleet::Inventory* inv, DrillPlan& out, Errors& errors) {
  if (const auto* p = std::get_if<ParallelAction>(&s.action)) {
    for (const Step& c : p->children) plan_injects(pb, c, inv, out, errors);
    return;
  }
  const auto* inject = std::get_if<InjectStep>(&s.action);
  if (!inject) return;
  if (!inv) {
    errors.emplace_back("inventory", "is needed to plan " + s.path + "'s faults on hosts, and none was given",
                        "--inventory FILE, or inventory: in the playbook");
    return;
  }
  try {
    out.injects.push_back({&s, plan_inject(*inject, *inv, inject_plan_options(pb, s, *inject))});
  } catch (const FieldError& e) {
    errors.emplace_back(s.path + ".inject", e.message(), e.allowed());
  }
}

json offset_json(const Offset& o) { return {{"earliest_ms", o.earliest.count()}, {"latest_ms", o.latest.count()}}; }

json step_json(const TimelineStep& ts) {
  json j = {{"path", ts.step->path},         {"id", ts.step->id},   {"kind", step_kind(*ts.step)},
            {"summary", step_summary(*ts.step)}, {"start", offset_json(ts.start)}, {"end", offset_json(ts.end)}};
  if (ts.fault_end) j["fault_end"] = offset_json(*ts.fault_end);
  if (!ts.children.empty()) {
    j["children"] = json::array();
    for (const auto& c : ts.children) j["children"].push_back(step_json(c));
  }
  return j;
}

std::string guard_text(const Guard& g) {
  const Expectation& e = g.expect;
  std::string out = expectation_summary(e) + " over " + offset_text(e.window.value_or(kGuardWindow));
  out += ", " + std::to_string(e.for_count) + " evaluation(s) in a row";
  if (e.after.count() > 0) out += ", after " + offset_text(e.after);
  return out;
}

json guard_json(const Guard& g) {
  return {{"name", g.name}, {"path", g.path}, {"summary", guard_text(g)},
          {"window_ms", g.expect.window.value_or(kGuardWindow).count()}, {"for", g.expect.for_count},
          {"after_ms", g.expect.after.count()}};
}

json invariants_json(const Playbook& pb) {
  json out = json::array();
  for (const Invariant i : pb.invariants) out.push_back(std::string(to_string(i)));
  return out;
}

}  // namespace

DrillPlan make_drill_plan(const Playbook& pb, const fleet::Inventory* inventory, Errors& errors) {
  DrillPlan plan{&pb, inventory, plan_timeline(pb), {}};
  for (const Step& s : pb.steps) plan_injects(pb, s, inventory, plan, errors);
  return plan;
}

json drill_plan_json(const DrillPlan& plan) {
  const Playbook& pb = *plan.playbook;
  json timeline = json::array(), injects = json::array(), guards = json::array();
  for (const auto& ts : plan.timeline.steps) timeline.push_back(step_json(ts));
  for (const auto& i : plan.injects) {
    json j = fleet::plan_json(i.plan);
    j.erase("dry_run");
    j["path"] = i.step->path;
    j["id"] = i.step->id;
    injects.push_back(std::move(j));
  }
  for (const auto& g : pb.guards) guards.push_back(guard_json(g));
  const Millis max = pb.safety.max_duration;
  return {{"name", pb.name},
          {"description", pb.description},
          {"inventory", plan.inventory ? json(plan.inventory->path) : json(nullptr)},
          {"sent", false},
          {"timeline", timeline},
          {"injects", injects},
          {"guards", guards},
          {"invariants", invariants_json(pb)},
          {"recovery", {{"window_ms", pb.recovery.window.count()}, {"fraction", pb.recovery.fraction}}},
          {"safety", {{"max_duration_ms", max.count()}, {"lease_ms", pb.safety.lease.count()},
                      {"max_clock_offset_ms", pb.safety.max_clock_offset.count()},
                      {"allow_foreign_faults", pb.safety.allow_foreign_faults}}},
          {"duration", {{"steps_end", offset_json(plan.timeline.steps_end)}, {"end", offset_json(plan.timeline.end)},
                        {"max_duration_ms", max.count()}, {"fits", plan.timeline.end.earliest <= max},
                        {"fits_at_latest", plan.timeline.end.latest <= max}}}};
}

namespace {

void print_step(const TimelineStep& ts, int depth, std::size_t width, std::ostream& out) {
  std::string at = depth == 0 ? offset_text(ts.start) : "";
  at.resize(width, ' ');
  out << "  " << at << std::string(2 * depth, ' ') << ts.step->path << (ts.step->id.empty() ? "" : " " + ts.step->id)
      << ": " << step_summary(*ts.step);
  if (ts.fault_end) out << "  [fault " << offset_text(ts.start) << " to " << offset_text(*ts.fault_end) << "]";
  out << "\n";
  for (const auto& c : ts.children) print_step(c, depth + 1, width, out);
}

// The fleet's own dry-run text, indented under its step.
void print_inject(const InjectPlan& i, std::ostream& out) {
  std::ostringstream text;
  fleet::print_plan(i.plan, text);
  out << "  " << i.step->path << (i.step->id.empty() ? "" : " " + i.step->id) << ":\n";
  std::istringstream lines(text.str());
  for (std::string line; std::getline(lines, line);) out << "    " << line << "\n";
}

void print_duration(const DrillPlan& plan, std::ostream& out) {
  const Offset& end = plan.timeline.end;
  const Millis max = plan.playbook->safety.max_duration;
  out << "duration: " << offset_text(end.earliest);
  if (!end.exact()) out << " (up to " << offset_text(end.latest) << " if every wait_until and run takes its timeout)";
  out << "; max_duration " << offset_text(max) << ": "
      << (end.latest <= max ? "fits" : end.earliest <= max ? "fits unless the waits take their timeouts" : "does not fit")
      << "\n";
}

}  // namespace

void print_drill_plan(const DrillPlan& plan, std::ostream& out) {
  const Playbook& pb = *plan.playbook;
  out << "plan: " << pb.name << " (nothing sent)\n";
  if (plan.inventory) out << "inventory: " << plan.inventory->path << "\n";
  out << "\ntimeline (from the drill's start; A..B: wait_until and run take up to their timeout):\n";
  std::size_t width = offset_text(plan.timeline.end).size() + 2;  // the offsets' column
  for (const auto& ts : plan.timeline.steps) width = std::max(width, offset_text(ts.start).size() + 2);
  for (const auto& ts : plan.timeline.steps) print_step(ts, 0, width, out);
  std::string end = offset_text(plan.timeline.end);
  end.resize(width, ' ');
  out << "  " << end << "end\n\nfaults per host:\n";
  if (plan.injects.empty()) out << "  none\n";
  for (const auto& i : plan.injects) print_inject(i, out);
  out << "\nguards:\n";
  if (pb.guards.empty()) out << "  none\n";
  for (const auto& g : pb.guards) out << "  " << g.name << ": " << guard_text(g) << "\n";
  out << "\ninvariants:";
  for (const Invariant i : pb.invariants) out << " " << to_string(i);
  out << (pb.invariants.empty() ? " none\n" : "\n");
  out << "recovery (for rto): the first " << offset_text(pb.recovery.window) << " at >= " << pb.recovery.fraction
      << " x the baseline\n";
  out << "safety: lease " << offset_text(pb.safety.lease) << ", max_clock_offset "
      << offset_text(pb.safety.max_clock_offset) << ", foreign faults "
      << (pb.safety.allow_foreign_faults ? "allowed" : "refused") << "\n";
  print_duration(plan, out);
}

}  // namespace injector::playbook
