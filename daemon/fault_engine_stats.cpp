// The fault engine's counters: what each fault counted (its leaves, its
// queues), and for GET /metrics the totals that outlive reverted faults.

#include <spdlog/spdlog.h>

#include "common/field_error.h"
#include "daemon/engine_stats.h"
#include "daemon/fault_engine.h"
#include "daemon/nft/queue_rules.h"

namespace injector {

TrafficTotals& TrafficTotals::operator+=(const TrafficTotals& o) {
  packets_sent += o.packets_sent;
  bytes_sent += o.bytes_sent;
  packets_dropped += o.packets_dropped;
  packets_delayed += o.packets_delayed;
  return *this;
}

std::string fault_kind(const Impairments& imp) {
  std::string kind;
  auto add = [&](bool present, const char* name) {
    if (!present) return;
    if (!kind.empty()) kind += '+';
    kind += name;
  };
  add(imp.cut.has_value(), "cut");
  add(imp.flap.has_value(), "flap");
  add(imp.delay.has_value(), "delay");
  add(imp.loss.has_value(), "loss");
  add(imp.duplicate.has_value(), "duplicate");
  add(imp.corrupt.has_value(), "corrupt");
  add(imp.reorder.has_value(), "reorder");
  add(imp.bandwidth.has_value(), "bandwidth");
  return kind.empty() ? "none" : kind;
}

std::string failure_reason(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const FieldError&) {
    return "invalid";
  } catch (const ConflictError&) {
    return "conflict";
  } catch (const nft::ForeignTableError&) {
    return "conflict";
  } catch (const UnsupportedError&) {
    return "unsupported";
  } catch (const NotFoundError&) {
    return "not_found";
  } catch (...) {
    return "kernel";
  }
}

tc::FaultCounters FaultEngine::leaf_counters(const Fault& f) const {
  tc::FaultCounters c;
  for (const auto& p : f.placements) {
    if (!p.installed) continue;  // prepared: nothing counted yet
    const tc::FaultCounters side = backend_.counters(p.ifindex, f.leaf);
    c.packets_sent += side.packets_sent;
    c.bytes_sent += side.bytes_sent;
    c.packets_dropped += side.packets_dropped;
  }
  return c;
}

delayline::QueueCounters FaultEngine::queue_counters(const Fault& f) const {
  delayline::QueueCounters sum;
  if (f.backend != Backend::delayline) return sum;
  for (const auto& p : f.placements) {
    if (!p.installed) continue;
    const auto c = queues_->counters(p.queue);
    sum.packets_seen += c.packets_seen;
    sum.bytes_seen += c.bytes_seen;
    sum.packets_sent += c.packets_sent;
    sum.bytes_sent += c.bytes_sent;
    sum.packets_dropped += c.packets_dropped;
    sum.packets_overflow += c.packets_overflow;
    sum.packets_delayed += c.packets_delayed;
    sum.packets_duplicated += c.packets_duplicated;
    sum.packets_corrupted += c.packets_corrupted;
    sum.packets_reordered += c.packets_reordered;
  }
  return sum;
}

tc::FaultCounters FaultEngine::counters(const Fault& f) const {
  if (f.backend == Backend::delayline) {
    const auto q = queue_counters(f);
    return {q.packets_sent, q.bytes_sent, q.packets_dropped};
  }
  tc::FaultCounters c = leaf_counters(f);
  c.packets_sent += f.retired.packets_sent;
  c.bytes_sent += f.retired.bytes_sent;
  c.packets_dropped += f.retired.packets_dropped;
  return c;
}

TrafficTotals FaultEngine::traffic(const Fault& f) const {
  TrafficTotals t;
  if (f.backend == Backend::delayline) {
    const auto q = queue_counters(f);
    return {q.packets_sent, q.bytes_sent, q.packets_dropped, q.packets_delayed};
  }
  const auto c = counters(f);
  t.packets_sent = c.packets_sent;
  t.bytes_sent = c.bytes_sent;
  t.packets_dropped = c.packets_dropped;
  return t;
}

// Read just before the fault's leaf or queue goes; a fault whose counters
// cannot be read any more retires with nothing rather than blocking its revert.
TrafficTotals FaultEngine::last_traffic(const Fault& f) const {
  try {
    return traffic(f);
  } catch (const std::exception& e) {
    spdlog::warn("fault {}: its last counters could not be read ({}); they are not in the totals", f.id, e.what());
    return {};
  }
}

void FaultEngine::count_failure(const char* operation) {
  ++stats_.failures[{operation, failure_reason(std::current_exception())}];
}

void FaultEngine::retire(const Fault& f, const TrafficTotals& last) {
  ++stats_.reverts;
  stats_.retired[{f.spec.device, std::string(to_string(f.backend))}] += last;
}

}  // namespace injector
