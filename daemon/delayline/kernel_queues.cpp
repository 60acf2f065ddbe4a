#include "daemon/delayline/kernel_queues.h"

#include <spdlog/spdlog.h>

#include "daemon/nft/queue_rules.h"

namespace injector::delayline {

void KernelQueues::install(const QueuedFault& fault) {
  QueueOptions options;
  options.duplicate_mark = kDuplicateMark;
  // Bind first: the rule must not feed a queue nobody reads (bypass would
  // let the packets by, but the fault would silently not hold).
  line_.add(fault.queue, fault.impairments, options);
  if (fault.down) line_.change(fault.queue, fault.impairments, true);
  try {
    nft::add_queue_rules({fault.device, fault.side, fault.match, fault.queue, kDuplicateMark, fault.exclusions});
  } catch (...) {
    line_.remove(fault.queue);
    throw;
  }
}

void KernelQueues::change(std::uint16_t queue, const Impairments& impairments, bool down) {
  line_.change(queue, impairments, down);
}

// The rule first, so nothing new arrives; then the held packets go at once.
void KernelQueues::remove(std::uint16_t queue) {
  nft::remove_queue_rules(queue);
  line_.remove(queue);
}

QueueCounters KernelQueues::counters(std::uint16_t queue) { return line_.counters(queue); }

bool KernelQueues::has_leftovers() { return nft::have_our_tables(); }

void KernelQueues::remove_leftovers() { nft::remove_our_tables(); }

}  // namespace injector::delayline
