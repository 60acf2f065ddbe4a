// The inject step: which traffic (partition, link, one host), what happens to
// it (a cut, or the CLI's impairments) and for how long.
#include <CLI/CLI.hpp>
#include <set>

#include "common/input_limits.h"
#include "injector/impairment_flags.h"
#include "injector/playbook/sections.h"
#include "common/strings.h"

namespace injector::playbook {
namespace {

// validate()'s field ("impairments.reorder.percent") -> the impair key a user wrote.
std::string impair_key_for(const std::string& field) {
  static const std::pair<const char*, const char*> kKeys[] = {
      {"impairments.delay", "delay"},     {"impairments.loss", "loss"},     {"impairments.duplicate", "duplicate"},
      {"impairments.corrupt", "corrupt"}, {"impairments.reorder", "reorder"}, {"impairments.bandwidth", "rate"},
      {"impairments.flap", "period"}};
  for (const auto& [prefix, key] : kKeys) {
    if (field.starts_with(prefix)) return key;
  }
  return {};
}

// The impairments `impair` describes, read by the CLI's own flag parser
// (injector/impairment_flags.h), so a playbook and `injector link ... delay`
// accept the same names, units and combinations.
Impairments impairments_from(const StringMap& impair, const std::string& path, Errors& errors) {
  cli::ImpairmentFlags flags;
  CLI::App app;
  app.set_help_flag();  // not an impairment
  cli::add_impairment_flags(app, flags);
  std::string allowed;
  for (const auto* opt : app.get_options()) allowed += (allowed.empty() ? "" : ", ") + opt->get_name().substr(2);
  std::vector<std::string> args;
  const std::size_t before = errors.size();
  for (const auto& [key, value] : impair) {
    if (!app.get_option_no_throw("--" + key)) errors.emplace_back(key_path(path, key), "unknown impairment", allowed);
    else if (value.empty()) errors.emplace_back(key_path(path, key), "needs a value");
    else args.push_back("--" + key + "=" + value);
  }
  if (errors.size() != before) return {};
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
    Impairments imp = cli::build_impairments(flags, "");
    validate(imp);
    return imp;
  } catch (const CLI::ParseError& e) {
    errors.emplace_back(path, e.what());
  } catch (const FieldError& e) {
    const std::string key = e.field().starts_with("--") ? e.field().substr(2) : impair_key_for(e.field());
    const bool flag = e.field().starts_with("--");
    errors.emplace_back(key.empty() ? path : key_path(path, key), flag ? e.message() : e.field() + ": " + e.message(), e.allowed());
  } catch (const std::invalid_argument& e) {
    errors.emplace_back(path, e.what());
  }
  return {};
}

PartitionTarget read_partition(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"isolate", "groups", "one_way"});
  PartitionTarget p;
  p.one_way = r.boolean("one_way").value_or(false);
  const std::string kind = r.one_of({"isolate", "groups"});
  if (kind == "isolate") p.isolate = r.text("isolate").value_or("");
  const YAML::Node groups = kind == "groups" ? r.get("groups") : YAML::Node();
  if (kind != "groups" || !expect_list(groups, r.at("groups"), errors, "groups of datacenters")) return p;
  if (groups.size() < 2) errors.emplace_back(r.at("groups"), "needs two or more groups", "[[hz], [sh, sz]]");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const std::string at = index_path(r.at("groups"), i);
    const auto dcs = string_list(groups[i], at, errors).value_or(std::vector<std::string>{});
    if (groups[i].IsSequence() && dcs.empty()) errors.emplace_back(at, "is empty", "one or more datacenters");
    for (std::size_t j = 0; j < dcs.size(); ++j) {
      if (!seen.insert(dcs[j]).second) errors.emplace_back(index_path(at, j), quote_input(dcs[j]) + " is in two groups");
    }
    p.groups.push_back(dcs);
  }
  return p;
}

LinkTarget read_link(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"from", "to", "one_way"});
  LinkTarget l;
  l.from = r.text("from", Need::required).value_or("");
  l.to = r.text("to", Need::required).value_or("");
  l.one_way = r.boolean("one_way").value_or(false);
  if (!l.from.empty() && l.from == l.to) errors.emplace_back(r.at("to"), "is the same datacenter as from", "another datacenter");
  return l;
}

HostTarget read_host(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"host", "to", "device"});
  HostTarget h;
  h.host = r.text("host", Need::required).value_or("");
  h.device = r.text("device").value_or("");
  const auto to = r.strings("to", Need::required).value_or(std::vector<std::string>{});
  if (r.has("to") && r.get("to").IsSequence() && to.empty()) errors.emplace_back(r.at("to"), "is empty", "one or more CIDRs");
  for (std::size_t i = 0; i < to.size(); ++i) {
    try {
      h.to.push_back(Cidr::parse(to[i]));
    } catch (const std::invalid_argument& e) {
      errors.emplace_back(index_path(r.at("to"), i), e.what(), "a CIDR such as 10.77.2.0/24 or fd77:0:2::/64");
    }
  }
  return h;
}

}  // namespace

InjectStep read_inject(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"partition", "link", "host", "impair", "for", "background"});
  InjectStep a;
  if (!r.ok()) return a;
  const std::string kind = r.one_of({"partition", "link", "host"});
  if (kind == "partition") a.target = read_partition(r.get(kind), r.at(kind), errors);
  if (kind == "link") a.target = read_link(r.get(kind), r.at(kind), errors);
  if (kind == "host") a.target = read_host(r.get(kind), r.at(kind), errors);
  a.impair = r.map("impair").value_or(StringMap{});
  if (kind == "partition") {
    a.impairments.cut = CutImpairment{};
    if (r.has("impair")) errors.emplace_back(r.at("impair"), "is not allowed with partition: a partition is a cut", "link or host with impair");
  } else if (!kind.empty() && !r.has("impair")) {
    errors.emplace_back(r.at("impair"), "is required with " + kind, "impairments such as {delay: 30ms, loss: 5%}");
  } else if (r.get("impair").IsMap()) {
    a.impairments = impairments_from(a.impair, r.at("impair"), errors);
  }
  // Required and finite: a fault without an end would outlive a crashed drill's intent.
  a.duration = r.duration("for", Need::required).value_or(Millis{0});
  a.background = r.boolean("background").value_or(false);
  return a;
}

}  // namespace injector::playbook
