// A playbook's names against the fleet it will run on: a typo in a
// datacenter must fail validation, not half-way through a drill.
#include "injector/playbook/path.h"
#include "injector/playbook/validate.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

std::string comma_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class NameCheck {
 public:
  NameCheck(const fleet::Inventory& inv, Errors& errors) : inv_(inv), errors_(errors) {
    for (const auto& h : inv.hosts) hosts_.push_back(h.name);
  }
  void datacenter(const std::string& name, const std::string& path) const {
    if (!name.empty() && !inv_.datacenter(name)) {
      errors_.emplace_back(path, "no datacenter named " + quote_input(name) + " in " + where(), comma_list(inv_.datacenter_names()));
    }
  }
  void host(const std::string& name, const std::string& path) const {
    if (!name.empty() && !inv_.host(name)) errors_.emplace_back(path, "no host named " + quote_input(name) + " in " + where(), comma_list(hosts_));
  }

 private:
  std::string where() const { return inv_.path.empty() ? "the inventory" : inv_.path; }
  const fleet::Inventory& inv_;
  Errors& errors_;
  std::vector<std::string> hosts_;
};

void check_inject(const InjectStep& a, const std::string& path, const NameCheck& names) {
  if (const auto* p = std::get_if<PartitionTarget>(&a.target)) {
    const std::string at = path + ".partition";
    names.datacenter(p->isolate, at + ".isolate");
    for (std::size_t i = 0; i < p->groups.size(); ++i) {
      for (std::size_t j = 0; j < p->groups[i].size(); ++j) {
        names.datacenter(p->groups[i][j], index_path(index_path(at + ".groups", i), j));
      }
    }
  } else if (const auto* l = std::get_if<LinkTarget>(&a.target)) {
    names.datacenter(l->from, path + ".link.from");
    names.datacenter(l->to, path + ".link.to");
  } else if (const auto* h = std::get_if<HostTarget>(&a.target)) {
    names.host(h->host, path + ".host.host");
  }
}

void check_step(const Step& s, const NameCheck& names) {
  if (const auto* i = std::get_if<InjectStep>(&s.action)) check_inject(*i, s.path + ".inject", names);
  if (const auto* w = std::get_if<WaitUntilAction>(&s.action)) names.datacenter(w->expect.dc, w->expect.path + ".dc");
  if (const auto* e = std::get_if<ExpectAction>(&s.action)) {
    for (const auto& x : e->expectations) names.datacenter(x.dc, x.path + ".dc");
  }
  if (const auto* p = std::get_if<ParallelAction>(&s.action)) {
    for (const auto& child : p->children) check_step(child, names);
  }
}

}  // namespace

Errors check_inventory_names(const Playbook& pb, const fleet::Inventory& inventory) {
  Errors errors;
  const NameCheck names(inventory, errors);
  for (const auto& g : pb.guards) names.datacenter(g.expect.dc, g.expect.path + ".dc");
  for (const auto& s : pb.steps) check_step(s, names);
  const auto& payments = pb.workload.payments;
  if (payments && payments->api.empty() && inventory.services_of("payments-api").empty()) {
    errors.emplace_back("workload.payments.api", "is not given, and the inventory has no service of kind payments-api",
                        "an api URL, or an inventory (version 2) with a payments-api service");
  }
  return errors;
}

}  // namespace injector::playbook
