#include "injector/playbook/playbook_yaml.h"

#include <set>

#include "common/input_limits.h"
#include "injector/playbook/names.h"
#include "injector/playbook/sections.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

constexpr const char* kPlaybookNamePattern = "[a-z0-9][a-z0-9-]{0,62}";

Safety read_safety(const YAML::Node& node, Errors& errors) {
  const MapReader r(node, "safety", errors, {"max_duration", "lease", "max_clock_offset", "allow_foreign_faults"});
  Safety s;
  s.max_duration = r.duration("max_duration").value_or(s.max_duration);
  if (const auto lease = r.duration("lease")) {
    // The daemons' own bounds on a lease (common/input_limits.h).
    if (*lease < limits::kMinLease || *lease > limits::kMaxLease) errors.emplace_back(r.at("lease"), "is out of range", "100ms to 1h");
    s.lease = *lease;
  }
  s.max_clock_offset = r.duration("max_clock_offset").value_or(s.max_clock_offset);
  s.allow_foreign_faults = r.boolean("allow_foreign_faults").value_or(false);
  return s;
}

Workload read_workload(const YAML::Node& node, Errors& errors) {
  const MapReader r(node, "workload", errors, {"payments"});
  Workload w;
  if (r.has("payments")) w.payments = read_payments(r.get("payments"), r.at("payments"), errors);
  return w;
}

Recovery read_recovery(const YAML::Node& node, Errors& errors) {
  const MapReader r(node, "recovery", errors, {"window", "fraction"});
  Recovery rec;
  rec.window = r.duration("window").value_or(rec.window);
  rec.fraction = r.fraction("fraction").value_or(rec.fraction);
  return rec;
}

std::vector<Invariant> read_invariants(const YAML::Node& node, Errors& errors) {
  std::vector<Invariant> out;
  const auto names = string_list(node, "invariants", errors).value_or(std::vector<std::string>{});
  std::set<std::string> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto inv = invariant_from_string(names[i]);
    if (!inv) errors.emplace_back(index_path("invariants", i), quote_input(names[i]) + " is not an invariant", invariant_names());
    else if (!seen.insert(names[i]).second) errors.emplace_back(index_path("invariants", i), quote_input(names[i]) + " appears twice");
    else out.push_back(*inv);
  }
  return out;
}

// A list of `read` results at `key`; items that could not be read are left out.
template <class Read>
auto read_list(const MapReader& r, const char* key, const char* of_what, Read read) {
  std::vector<typename decltype(read(YAML::Node(), std::string()))::value_type> out;
  const YAML::Node list = r.get(key);
  if (!list || !expect_list(list, r.at(key), r.errors(), of_what)) return out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (auto item = read(list[i], index_path(r.at(key), i))) out.push_back(std::move(*item));
  }
  return out;
}

void read_header(const MapReader& r, Playbook& pb) {
  if (const auto version = r.text("version", Need::required); version && *version != "1") {
    r.errors().emplace_back("version", "unknown format version " + quote_input(*version), "1");
  }
  pb.name = r.text("name", Need::required).value_or("");
  if (r.has("name")) check_pattern(pb.name, "name", r.errors(), kPlaybookNamePattern, "playbook name");
  pb.description = r.text("description").value_or("");
  pb.inventory = r.text("inventory").value_or("");
}

void read_body(const MapReader& r, Playbook& pb) {
  Errors& errors = r.errors();
  if (r.has("safety")) pb.safety = read_safety(r.get("safety"), errors);
  if (r.has("workload")) pb.workload = read_workload(r.get("workload"), errors);
  if (r.has("recovery")) pb.recovery = read_recovery(r.get("recovery"), errors);
  pb.probes = read_list(r, "probes", "probes", [&](const YAML::Node& n, const std::string& p) { return read_probe(n, p, errors); });
  pb.guards = read_list(r, "guards", "guards", [&](const YAML::Node& n, const std::string& p) { return read_guard(n, p, errors); });
  pb.steps = read_list(r, "steps", "steps", [&](const YAML::Node& n, const std::string& p) {
    return std::optional(read_step(n, p, errors, false));
  });
  if (const YAML::Node steps = r.get("steps", Need::required); steps && steps.IsSequence() && steps.size() == 0) {
    errors.emplace_back("steps", "is empty", "at least one step");
  }
  if (r.has("invariants")) pb.invariants = read_invariants(r.get("invariants"), errors);
  else if (pb.workload.payments) pb.invariants = all_invariants();
  if (r.has("report")) {
    const MapReader report(r.get("report"), "report", errors, {"dir"});
    pb.report.dir = report.text("dir").value_or("");
  }
}

}  // namespace

void drop_unresolved(Errors& errors, const std::set<std::string>& unresolved) {
  std::erase_if(errors, [&](const FieldError& e) { return unresolved.contains(e.field()); });
}

ParseResult parse_playbook(std::string_view yaml, const VarMap& overrides) {
  ParseResult result;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    result.errors.emplace_back("playbook", std::string("not valid YAML: ") + e.what());
    return result;
  }
  // A second document ("---") would otherwise be ignored without a word.
  if (documents.size() > 1) {
    result.errors.emplace_back("playbook", std::to_string(documents.size()) + " YAML documents", "one playbook per file");
    return result;
  }
  const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  result.playbook.vars = collect_vars(root, overrides, result.errors);
  const std::size_t before = result.errors.size();
  const YAML::Node doc = substitute_tree(root, result.playbook.vars, result.errors);
  // Where a variable did not resolve, the value's remains ("for: ''") would
  // only add a second, misleading error when read: those are dropped.
  for (std::size_t i = before; i < result.errors.size(); ++i) result.unresolved.insert(result.errors[i].field());
  Errors reading;
  const MapReader r(doc, "", reading,
                    {"version", "name", "description", "inventory", "vars", "safety", "workload", "recovery", "probes",
                     "guards", "steps", "invariants", "report"});
  if (r.ok()) {
    read_header(r, result.playbook);
    read_body(r, result.playbook);
  }
  drop_unresolved(reading, result.unresolved);
  for (auto& e : reading) result.errors.push_back(std::move(e));
  return result;
}

}  // namespace injector::playbook
