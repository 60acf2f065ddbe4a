#pragma once
// Reading a playbook (playbooks/README.md): variables substituted, every
// mapping strict, every value typed. All errors are collected, each naming
// its path (`steps[2].inject.partition.isolate`), so a user fixes a file in
// one pass. The checks across parts (ids, references, durations, inventory
// names) are validate.h's.

#include <set>
#include <string>
#include <string_view>

#include "common/field_error.h"
#include "injector/playbook/playbook.h"
#include "injector/playbook/vars.h"

namespace injector::playbook {

struct ParseResult {
  Playbook playbook;  // complete when errors is empty; best effort otherwise
  Errors errors;
  // Paths whose ${...} did not resolve: reported once, as that.
  std::set<std::string> unresolved;
  bool ok() const { return errors.empty(); }
};

// Removes errors at `unresolved` paths: what is left of a value after a
// failed substitution ("for: ''") would only add a second, misleading error.
void drop_unresolved(Errors& errors, const std::set<std::string>& unresolved);

// `overrides` are the --var flags (parse_var_flags).
ParseResult parse_playbook(std::string_view yaml, const VarMap& overrides = {});

}  // namespace injector::playbook
