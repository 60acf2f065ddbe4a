#pragma once
// A valid playbook that the tests break one thing at a time, and helpers to
// find an error by its exact path.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/field_error.h"
#include "injector/playbook/playbook_yaml.h"
#include "injector/playbook/validate.h"

namespace injector::playbook::testing {

// Uses every kind of step, so each test can break one of them. Step paths:
// steps[0] wait, [1] inject (partition), [2] expect, [3] parallel
// (inject link, wait), [4] revert.
inline constexpr const char* kValid = R"(
version: 1
name: t
vars: {hold: 5s}
workload:
  payments: {rate: 10}
probes:
  - name: web
    http: {url: "http://10.0.0.1:8080/health"}
guards:
  - name: g
    expect: {metric: success_rate, op: ">=", value: 0.5}
steps:
  - id: warm
    wait: 1s
  - id: cut
    inject:
      partition: {isolate: hz}
      for: ${hold}
  - expect:
      - {metric: rto, dc: hz, op: "<=", value: 3s}
      - {metric: probe.web, op: ">=", value: 99%}
    during: cut
  - id: both
    parallel:
      - id: slow
        inject: {link: {from: hz, to: sz}, impair: {delay: 30ms}, for: 2s}
      - wait: 1s
  - revert: [cut]
)";

// kValid with `from` (which must occur exactly once) replaced by `to`.
inline std::string with(const std::string& from, const std::string& to, std::string text = kValid) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the playbook: " << from;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "more than once in the playbook: " << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

// Parse errors, then validation errors, as validate prints them.
inline Errors all_errors(const std::string& yaml, const VarMap& overrides = {}, const fleet::Inventory* inv = nullptr) {
  ParseResult r = parse_playbook(yaml, overrides);
  Errors checks = validate_playbook(r.playbook, inv);
  drop_unresolved(checks, r.unresolved);
  for (auto& e : checks) r.errors.push_back(std::move(e));
  return r.errors;
}

inline std::string listed(const Errors& errors) {
  std::string out;
  for (const auto& e : errors) out += std::string(e.what()) + "\n";
  return out.empty() ? "(no errors)\n" : out;
}

// The one error at `path`; fails the test (listing all errors) unless there is exactly one.
inline FieldError only_error_at(const Errors& errors, const std::string& path) {
  std::vector<FieldError> at;
  for (const auto& e : errors) {
    if (e.field() == path) at.push_back(e);
  }
  EXPECT_EQ(at.size(), 1u) << "errors at " << path << " among:\n" << listed(errors);
  return at.empty() ? FieldError("", "") : at.front();
}

}  // namespace injector::playbook::testing
