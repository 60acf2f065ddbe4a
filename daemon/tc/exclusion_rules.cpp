#include "daemon/tc/exclusion_rules.h"

namespace injector::tc {

std::vector<U32Rule> exclusion_rules(const std::vector<Exclusion>& exclusions, Direction side) {
  std::vector<U32Rule> rules;
  for (const Exclusion& e : exclusions) {
    const Match m = exclusion_match(e);
    for (auto& r : rules_for_match(side == Direction::ingress ? as_seen_on_ingress(m) : m)) rules.push_back(std::move(r));
  }
  return rules;
}

}  // namespace injector::tc
