#include "injector/fleet/plan.h"

#include <cstdio>
#include <random>
#include <set>

#include "common/field_error.h"
#include "common/strings.h"

namespace injector::fleet {
namespace {

void check_groups(const Inventory& inv, const std::vector<std::vector<std::string>>& groups) {
  if (groups.size() < 2) throw FieldError("--group", "a partition needs at least two groups", "--group A,B --group C");
  std::set<std::string> seen;
  for (const auto& group : groups) {
    if (group.empty()) throw FieldError("--group", "a group is empty", "comma-separated datacenter names");
    for (const auto& dc : group) {
      if (!inv.datacenter(dc)) {
        throw FieldError("--group", "no datacenter named " + quote_input(dc) + " in " + inv.path, join(inv.datacenter_names()));
      }
      if (!seen.insert(dc).second) throw FieldError("--group", "datacenter " + quote_input(dc) + " is in more than one group");
    }
  }
}

// The fault of one host: egress toward `to` (the peers' networks, or any).
HostFault host_fault(const Host& host, const std::vector<std::string>& peers, std::vector<Cidr> to,
                     const std::string& device, const Impairments& impairments, const PlanOptions& options,
                     const std::string& operation) {
  HostFault f;
  f.host = &host;
  f.peers = peers;
  f.spec.device = device.empty() ? host.device : device;
  f.spec.match.to = std::move(to);
  f.spec.direction = Direction::egress;
  f.spec.backend = options.backend;
  f.spec.impairments = impairments;
  f.spec.lifetime = options.lifetime;
  f.spec.labels = options.labels;
  f.spec.labels[kOperationLabel] = operation;
  validate(f.spec);  // what the daemon would refuse, refused here before anything is sent
  return f;
}

// Every host of `side` gets a fault toward the datacenters of `peers`.
void add_side(Plan& plan, const Inventory& inv, const std::vector<std::string>& side, const std::vector<std::string>& peers,
              const Impairments& impairments, const PlanOptions& options) {
  for (const auto& dc : side) {
    for (const Host* host : inv.hosts_in(dc)) {
      std::vector<Cidr> to;
      for (const auto& peer : peers) {
        for (const auto& cidr : inv.datacenter(peer)->cidrs) to.push_back(cidr);
      }
      plan.faults.push_back(host_fault(*host, peers, std::move(to), "", impairments, options, plan.operation));
    }
  }
}

// A plan that touches no host is a mistake in the inventory or the request.
Plan checked(Plan plan, const Inventory& inv) {
  if (plan.faults.empty()) {
    throw FieldError("inventory", inv.path + " lists no host in the datacenters this would fault", "hosts with a datacenter field");
  }
  return plan;
}

std::string operation_of(const PlanOptions& options) {
  return options.operation.empty() ? new_operation_id() : options.operation;
}

}  // namespace

std::string new_operation_id() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "op-%08x", static_cast<unsigned>(rd()));
  return buf;
}

Plan plan_partition(const Inventory& inv, const std::vector<std::vector<std::string>>& groups, bool one_way,
                    const PlanOptions& options) {
  check_groups(inv, groups);
  Impairments cut;
  cut.cut = CutImpairment{};
  Plan plan{operation_of(options), "partition", {}};
  for (std::size_t g = 0; g < groups.size(); ++g) {
    plan.description += (g ? " | {" : " {") + join(groups[g]) + "}";
    if (one_way && g > 0) continue;
    std::vector<std::string> others;
    for (std::size_t o = 0; o < groups.size(); ++o) {
      if (o != g) others.insert(others.end(), groups[o].begin(), groups[o].end());
    }
    add_side(plan, inv, groups[g], others, cut, options);
  }
  if (one_way) plan.description += ", one way: from {" + join(groups[0]) + "} only";
  return checked(std::move(plan), inv);
}

Plan plan_isolate(const Inventory& inv, const std::string& dc, bool one_way, const PlanOptions& options) {
  if (!inv.datacenter(dc)) throw FieldError("--isolate", "no datacenter named " + quote_input(dc) + " in " + inv.path, join(inv.datacenter_names()));
  std::vector<std::string> others;
  for (const auto& name : inv.datacenter_names()) {
    if (name != dc) others.push_back(name);
  }
  if (others.empty()) throw FieldError("--isolate", "the inventory has no other datacenter to cut " + dc + " from");
  Plan plan = plan_partition(inv, {{dc}, others}, one_way, options);
  plan.description = "isolate " + dc + (one_way ? " (one way: its outgoing traffic only)" : "");
  return plan;
}

Plan plan_link(const Inventory& inv, const std::string& from, const std::string& to, bool one_way,
               const Impairments& impairments, const PlanOptions& options) {
  for (const auto* dc : {&from, &to}) {
    if (!inv.datacenter(*dc)) throw FieldError("--between", "no datacenter named " + quote_input(*dc) + " in " + inv.path, join(inv.datacenter_names()));
  }
  if (from == to) throw FieldError("--between", "names the same datacenter twice", "two different datacenters, A:B");
  if (impairments.empty()) throw FieldError("impairments", "no impairment given");
  Plan plan{operation_of(options), "link " + from + (one_way ? " -> " : " <-> ") + to, {}};
  add_side(plan, inv, {from}, {to}, impairments, options);
  if (!one_way) add_side(plan, inv, {to}, {from}, impairments, options);
  return checked(std::move(plan), inv);
}

Plan plan_host(const Inventory& inv, const std::string& host, const std::string& device, const std::vector<Cidr>& to,
               const Impairments& impairments, const PlanOptions& options) {
  const Host* h = inv.host(host);
  if (!h) throw FieldError("host", "no host named " + quote_input(host) + " in " + inv.path);
  if (to.empty()) throw FieldError("to", "no network given", "CIDRs such as 10.77.2.0/24");
  if (impairments.empty()) throw FieldError("impairments", "no impairment given");
  std::string targets;
  for (const auto& c : to) targets += (targets.empty() ? "" : ",") + c.to_string();
  Plan plan{operation_of(options), "host " + host + " -> " + targets, {}};
  plan.faults.push_back(host_fault(*h, {}, to, device, impairments, options, plan.operation));
  return plan;
}

}  // namespace injector::fleet
