#include "injector/fleet/fleet_cli.h"

#include <algorithm>
#include <ostream>

#include "common/duration.h"
#include "common/field_error.h"
#include "injector/cli.h"
#include "injector/fleet/fleet_output.h"
#include "injector/fleet/operations.h"
#include "injector/impairment_flags.h"
#include "common/strings.h"

namespace injector::fleet {
namespace {

using nlohmann::json;

constexpr std::pair<const char*, const char*> kLinkKinds[] = {
    {"cut", "Cut the link"},           {"delay", "Delay (--delay, --jitter, ...)"},
    {"loss", "Lose packets (--loss or --gemodel)"}, {"duplicate", "Duplicate packets"},
    {"corrupt", "Corrupt packets"},    {"reorder", "Reorder packets (with --delay)"},
    {"bandwidth", "Cap each host's bandwidth toward the other datacenter (--rate)"},
    {"flap", "Cut the link on and off (--period, --down)"},
};

std::chrono::milliseconds duration_flag(const std::string& flag, const std::string& text) {
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw FieldError(flag, e.what(), "a duration such as 90s or 10m");
  }
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool nothing_reverted(const std::vector<HostResult>& results) {
  return std::all_of(results.begin(), results.end(),
                      [](const HostResult& r) { return r.body.value("reverted", json::array()).empty(); });
}

}  // namespace

struct FleetCommands::Impl {
  std::string inventory, output = "text", op, between, for_text, lease_text = "10s", backend = "auto", isolate;
  std::vector<std::string> groups, labels;
  bool one_way = false, dry_run = false, detach = false, all = false;
  cli::ImpairmentFlags imp;
  CLI::App *check = nullptr, *partition = nullptr, *link = nullptr, *status = nullptr, *revert = nullptr;

  void add_common(CLI::App& cmd) {
    cmd.add_option("--inventory", inventory, "Inventory file (docs/inventory.md)")->envname("INJECTOR_INVENTORY")->required();
    cmd.add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  }
  void add_fault_flags(CLI::App& cmd) {
    cmd.add_flag("--one-way", one_way, "Only traffic from the first side to the other");
    cmd.add_flag("--dry-run", dry_run, "Print the per-host plan and send nothing");
    cmd.add_option("--for", for_text, "How long: held for this long, then reverted (default: until Ctrl-C, at most the daemons' default lifetime)");
    cmd.add_flag("--detach", detach, "Apply and exit; the faults end with their lifetime (--for) instead of being held");
    cmd.add_option("--lease", lease_text, "Lease renewed on every host while held")->capture_default_str();
    cmd.add_option("--label", labels, "KEY=VALUE on every host's fault, repeatable");
    cmd.add_option("--backend", backend, "auto, netem or delayline")->capture_default_str();
  }

  PlanOptions plan_options() const {
    PlanOptions o;
    o.backend = backend_from_string(backend);
    if (!for_text.empty()) o.lifetime.duration = duration_flag("--for", for_text);
    if (!detach) o.lifetime.lease = duration_flag("--lease", lease_text);
    for (const auto& l : labels) o.labels.insert(parse_label(l));
    return o;
  }

  Plan make_plan(const Inventory& inv) const {
    if (partition->parsed()) {
      if (isolate.empty() == groups.empty()) throw FieldError("partition", "give either --isolate DC or two or more --group A,B");
      if (!isolate.empty()) return plan_isolate(inv, isolate, one_way, plan_options());
      std::vector<std::vector<std::string>> g;
      for (const auto& text : groups) g.push_back(split_commas(text));
      return plan_partition(inv, g, one_way, plan_options());
    }
    const auto colon = between.find(':');
    if (colon == std::string::npos) throw FieldError("--between", quote_input(between) + " is not A:B", "two datacenter names, e.g. hz:sz");
    const std::string kind = link->get_subcommands().front()->get_name();
    return plan_link(inv, between.substr(0, colon), between.substr(colon + 1), one_way, cli::build_impairments(imp, kind),
                     plan_options());
  }

  int apply(const Inventory& inv, std::ostream& out, std::ostream& err);
  int hold(const Plan& plan, const ApplyReport& report, std::ostream& out, std::ostream& err);
  int check_inventory(const Inventory& inv, std::ostream& out);
  int show_results(const std::vector<HostResult>& results, bool is_status, std::ostream& out);
};

int FleetCommands::Impl::apply(const Inventory& inv, std::ostream& out, std::ostream& err) {
  const Plan plan = make_plan(inv);
  if (dry_run) {
    output == "json" ? void(out << plan_json(plan).dump(2) << "\n") : print_plan(plan, out);
    return cli::kOk;
  }
  const ApplyReport report = apply_plan(plan);
  output == "json" ? void(out << apply_json(plan, report).dump(2) << "\n") : print_apply(plan, report, out);
  out.flush();
  if (!report.ok()) return cli::kFleetFailed;
  if (detach) return cli::kOk;
  return hold(plan, report, out, err);
}

// Holds until --for has passed (or the faults' lifetime, without it) or Ctrl-C,
// then reverts the operation everywhere.
int FleetCommands::Impl::hold(const Plan& plan, const ApplyReport& report, std::ostream& out, std::ostream& err) {
  using Steady = std::chrono::steady_clock;
  auto left = std::chrono::milliseconds::max();
  for (const auto& r : report.applied) left = std::min(left, std::chrono::milliseconds(r.body.value("expires_in_ms", 0)));
  const auto lease = duration_flag("--lease", lease_text);
  err << "holding " << plan.operation << " on " << plan.faults.size() << " hosts (lease " << lease.count()
      << " ms); Ctrl-C reverts it everywhere\n";
  const HoldStatus held = hold_plan(plan, report, lease, Steady::now() + left);
  // Ran to its end: the daemons expire the faults at the same moment, so the
  // revert finding nothing is the plan working, not a failure.
  const bool ran_out = !held.stopped_by_signal && held.failures.empty();
  if (ran_out) wait_until_expired(plan_hosts(plan), plan.operation, std::chrono::seconds(1));
  const auto reverted = revert_on(plan_hosts(plan), plan.operation);
  bool revert_ok = true;
  for (const auto& r : reverted) revert_ok = revert_ok && r.ok();
  if (output != "json") {
    out << (held.stopped_by_signal ? "interrupted: " : "") << (ran_out ? "time is up: " : "") << "reverting "
        << plan.operation << "\n";
    print_reverted(reverted, out, ran_out);
  } else {
    out << json{{"operation", plan.operation},
                {"ended", held.stopped_by_signal ? "interrupted" : ran_out ? "expired" : "lost"},
                {"reverted", results_json(reverted)}}
               .dump(2)
        << "\n";
  }
  for (const auto& f : held.failures) err << "injector: error: " << f.host->name << ": renewal failed: " << f.error << "\n";
  return held.failures.empty() && revert_ok ? cli::kOk : cli::kFleetFailed;
}

namespace {

// A host whose daemon answers but has no such device would fail only at
// partition time; ask each daemon about the host's device now.
void check_devices(std::vector<HostResult>& results) {
  std::vector<HostCall> calls;
  for (const auto& r : results) {
    if (r.ok()) calls.push_back({r.host, "GET", "/v1/devices/" + r.host->device, {}});
  }
  std::size_t i = 0;
  for (auto& device : call_all(calls)) {
    while (!results[i].ok()) ++i;
    HostResult& r = results[i++];
    if (device.ok()) continue;
    const auto error = device.body.is_object() ? device.body.value("error", json::object()) : json::object();
    if (device.status == 404 && error.value("field", "") == "path") continue;  // a daemon from before /v1/devices
    r.status = 0;
    r.error = device.status == 404 ? "no device '" + r.host->device + "' on this host (the inventory's device: " +
                                         "an interface in the daemon's network namespace)"
                                   : "could not check device '" + r.host->device + "': " + device.error;
  }
}

}  // namespace

int FleetCommands::Impl::check_inventory(const Inventory& inv, std::ostream& out) {
  auto results = call_each(inv, "GET", "/v1/health");
  check_devices(results);
  bool all_ok = true;
  json hosts = json::array();
  for (const auto& r : results) {
    all_ok = all_ok && r.ok();
    hosts.push_back({{"host", r.host->name}, {"daemon", r.host->daemon}, {"ok", r.ok()}, {"error", r.error}});
  }
  if (output == "json") {
    out << json{{"inventory", inv.path}, {"datacenters", inv.datacenters.size()}, {"ok", all_ok}, {"hosts", hosts}}.dump(2) << "\n";
  } else {
    out << inv.path << ": valid; " << inv.datacenters.size() << " datacenters, " << inv.hosts.size() << " hosts\n";
    for (const auto& r : results) out << "  " << r.host->name << " " << r.host->daemon << ": " << (r.ok() ? "ok" : r.error) << "\n";
  }
  return all_ok ? cli::kOk : cli::kFleetFailed;
}

int FleetCommands::Impl::show_results(const std::vector<HostResult>& results, bool is_status, std::ostream& out) {
  bool all_ok = true;
  for (const auto& r : results) all_ok = all_ok && r.ok();
  if (output == "json") {
    out << json{{"ok", all_ok}, {"hosts", results_json(results)}}.dump(2) << "\n";
  } else {
    is_status ? print_status(results, out) : print_reverted(results, out);
  }
  return all_ok ? cli::kOk : cli::kFleetFailed;
}

FleetCommands::FleetCommands(CLI::App& app) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  auto* inv = app.add_subcommand("inventory", "Check a fleet inventory")->require_subcommand(1);
  m.check = inv->add_subcommand("check", "Validate an inventory and reach every daemon in it");
  m.check->add_option("file", m.inventory, "Inventory file")->required();
  m.check->add_option("--output", m.output, "text or json")->check(CLI::IsMember({"text", "json"}));

  m.partition = app.add_subcommand("partition", "Cut datacenters off from each other on every host at once");
  m.add_common(*m.partition);
  m.add_fault_flags(*m.partition);
  m.partition->add_option("--isolate", m.isolate, "Cut this datacenter off from all others, both directions");
  m.partition->add_option("--group", m.groups, "Datacenters on one side, comma-separated; repeat for each side");

  m.link = app.add_subcommand("link", "Impair the traffic between two datacenters on every host at once")->require_subcommand(1);
  m.add_common(*m.link);
  m.add_fault_flags(*m.link);
  m.link->add_option("--between", m.between, "A:B, two datacenters")->required();
  for (const auto& [kind, help] : kLinkKinds) {
    auto* cmd = m.link->add_subcommand(kind, help)->fallthrough();
    if (std::string_view(kind) != "cut") cli::add_impairment_flags(*cmd, m.imp);
  }

  m.status = app.add_subcommand("status", "Every active fault, fleet-wide");
  m.add_common(*m.status);
  m.status->add_option("--op", m.op, "Only this fleet operation's faults");
  m.revert = app.add_subcommand("revert", "Revert a fleet operation (--op ID) or everything (--all) on every host");
  m.add_common(*m.revert);
  m.revert->add_option("--op", m.op, "The operation id printed when it was applied");
  m.revert->add_flag("--all", m.all, "Every fault on every host of the inventory");
}

FleetCommands::~FleetCommands() = default;

bool FleetCommands::parsed() const {
  for (auto* cmd : {impl_->check, impl_->partition, impl_->link, impl_->status, impl_->revert}) {
    if (cmd->parsed()) return true;
  }
  return false;
}

int FleetCommands::run(std::ostream& out, std::ostream& err) {
  Impl& m = *impl_;
  const Inventory inv = load_inventory(m.inventory);
  if (m.check->parsed()) return m.check_inventory(inv, out);
  if (m.partition->parsed() || m.link->parsed()) return m.apply(inv, out, err);
  if (m.status->parsed()) {
    const std::string query = m.op.empty() ? "" : cli::label_query({std::string(kOperationLabel) + "=" + m.op});
    return m.show_results(call_each(inv, "GET", "/v1/faults" + query), true, out);
  }
  if (m.all == !m.op.empty()) throw FieldError("revert", "give one of --op ID or --all");
  const auto results = revert_on(all_hosts(inv), m.op);
  const int rc = m.show_results(results, false, out);
  if (rc == cli::kOk && !m.op.empty() && nothing_reverted(results)) {
    // As `fault revert` with an unknown id: a mistyped operation must not
    // read as success while the real faults stay.
    err << "injector: error: no host of " << inv.path << " holds a fault of operation " << m.op
        << "; nothing was reverted (a mistyped id? `injector status --inventory " << inv.path
        << "` lists the operations in place)\n";
    return cli::kNotFound;
  }
  return rc;
}

}  // namespace injector::fleet
