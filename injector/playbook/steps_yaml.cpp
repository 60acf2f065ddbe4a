// The steps of a playbook (playbooks/README.md, "Steps"); inject is in inject_yaml.cpp.
#include "injector/playbook/sections.h"

namespace injector::playbook {
namespace {

WaitUntilAction read_wait_until(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"expect", "timeout"});
  WaitUntilAction w;
  if (const YAML::Node e = r.get("expect", Need::required)) {
    w.expect = read_expectation(e, r.at("expect"), errors, ExpectationUse::step).value_or(Expectation{});
  }
  // Required: a wait that can last forever would hang the drill with faults applied.
  w.timeout = r.duration("timeout", Need::required).value_or(Millis{0});
  return w;
}

ExpectAction read_expect(const YAML::Node& node, const std::string& path, Errors& errors) {
  ExpectAction a;
  if (!expect_list(node, path, errors, "expectations")) return a;
  if (node.size() == 0) errors.emplace_back(path, "is empty", "at least one expectation");
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (auto e = read_expectation(node[i], index_path(path, i), errors, ExpectationUse::step)) a.expectations.push_back(*e);
  }
  return a;
}

RevertAction read_revert(const YAML::Node& node, const std::string& path, Errors& errors) {
  RevertAction a;
  a.ids = string_list(node, path, errors).value_or(std::vector<std::string>{});
  if (node.IsSequence() && node.size() == 0) errors.emplace_back(path, "is empty", "the ids of earlier inject steps");
  return a;
}

RunCommand read_run_command(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"argv", "status", "timeout"});
  RunCommand c;
  read_program(r, c.argv, c.status);
  c.timeout = r.duration("timeout").value_or(c.timeout);
  return c;
}

RunHttp read_run_http(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"method", "url", "headers", "body", "status", "timeout"});
  RunHttp h;
  h.call = read_http_call(r);
  h.timeout = r.duration("timeout").value_or(h.timeout);
  return h;
}

RunAction read_run(const YAML::Node& node, const std::string& path, Errors& errors) {
  const MapReader r(node, path, errors, {"command", "http"});
  RunAction a;
  if (!r.ok()) return a;
  const std::string kind = r.one_of({"command", "http"});
  if (kind == "command") a.what = read_run_command(r.get(kind), r.at(kind), errors);
  if (kind == "http") a.what = read_run_http(r.get(kind), r.at(kind), errors);
  return a;
}

ParallelAction read_parallel(const YAML::Node& node, const std::string& path, Errors& errors) {
  ParallelAction a;
  if (!expect_list(node, path, errors, "steps")) return a;
  if (node.size() == 0) errors.emplace_back(path, "is empty", "at least one step");
  for (std::size_t i = 0; i < node.size(); ++i) a.children.push_back(read_step(node[i], index_path(path, i), errors, true));
  return a;
}

}  // namespace

Step read_step(const YAML::Node& node, const std::string& path, Errors& errors, bool in_parallel) {
  const MapReader r(node, path, errors, {"id", "wait", "wait_until", "expect", "during", "inject", "revert", "run", "parallel"});
  Step s;
  s.path = path;
  if (!r.ok()) return s;
  if (const auto id = r.text("id")) {
    check_pattern(*id, r.at("id"), errors, kIdPattern, "step id");
    s.id = *id;
  }
  const std::string action = r.one_of({"wait", "wait_until", "expect", "inject", "revert", "run", "parallel"});
  const YAML::Node v = action.empty() ? YAML::Node() : r.get(action);
  const std::string at = r.at(action);
  if (action == "wait") s.action = WaitAction{duration_value(v, at, errors).value_or(Millis{0})};
  if (action == "wait_until") s.action = read_wait_until(v, at, errors);
  if (action == "expect") s.action = read_expect(v, at, errors);
  if (action == "inject") s.action = read_inject(v, at, errors);
  if (action == "revert") s.action = read_revert(v, at, errors);
  if (action == "run") s.action = read_run(v, at, errors);
  if (action == "parallel" && in_parallel) errors.emplace_back(at, "parallel steps cannot nest", "one action per child step");
  if (action == "parallel" && !in_parallel) s.action = read_parallel(v, at, errors);
  if (const auto during = r.text("during")) {
    if (action != "expect") errors.emplace_back(r.at("during"), "applies only to an expect step", "expect + during");
    if (auto* e = std::get_if<ExpectAction>(&s.action)) e->during = *during;
  }
  return s;
}

}  // namespace injector::playbook
