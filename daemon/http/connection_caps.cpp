#include "daemon/http/connection_caps.h"

namespace injector::http {

std::string_view to_string(Refusal r) {
  switch (r) {
    case Refusal::none: return "none";
    case Refusal::pending_cap: return "pending_cap";
    case Refusal::pending_per_source_cap: return "pending_per_source_cap";
    case Refusal::connection_cap: return "connection_cap";
  }
  return "unknown";
}

void ConnectionStats::count(Refusal r) {
  switch (r) {
    case Refusal::none: return;
    case Refusal::pending_cap: ++refused_pending_cap; return;
    case Refusal::pending_per_source_cap: ++refused_pending_per_source_cap; return;
    case Refusal::connection_cap: ++refused_connection_cap; return;
  }
}

Refusal CapTable::admit_pending(const std::string& source) {
  // The per-source cap first: a single flooding peer is named as such even
  // when it has also filled the table.
  const auto it = per_source_.find(source);
  const std::size_t mine = it == per_source_.end() ? 0 : it->second;
  if (mine >= limits_.max_pending_per_source) return Refusal::pending_per_source_cap;
  if (pending_ >= limits_.max_pending) return Refusal::pending_cap;
  ++pending_;
  ++per_source_[source];
  return Refusal::none;
}

void CapTable::end_pending(const std::string& source) {
  const auto it = per_source_.find(source);
  if (it == per_source_.end()) return;  // never admitted: nothing to give back
  if (--it->second == 0) per_source_.erase(it);
  --pending_;
}

Refusal CapTable::admit_authenticated() {
  if (authenticated_ >= limits_.max_authenticated) return Refusal::connection_cap;
  ++authenticated_;
  return Refusal::none;
}

void CapTable::end_authenticated() {
  if (authenticated_ > 0) --authenticated_;
}

std::size_t CapTable::pending_from(const std::string& source) const {
  const auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

}  // namespace injector::http
