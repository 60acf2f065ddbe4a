#pragma once
// The seam between the fault engine and the delay line (as TcBackend is for
// traffic control): a fault served by the delay line is one NFQUEUE per side,
// fed by an nf_tables rule of ours. KernelQueues implements it over netlink;
// unit tests use a fake, so backend choice and bookkeeping run without root.

#include <cstdint>
#include <string>

#include "common/exclusion.h"
#include "common/fault_spec.h"
#include "daemon/delayline/delay_line.h"

namespace injector::delayline {

// Queue numbers of ours: one per (slot, side). 0xf000 keeps clear of the low
// numbers that hand-written iptables rules tend to use.
inline constexpr std::uint16_t kQueueBase = 0xf000;
inline constexpr std::uint16_t queue_number(int slot, Direction side) {
  return static_cast<std::uint16_t>(kQueueBase + (slot - 1) * 2 + (side == Direction::ingress ? 1 : 0));
}
// The fwmark on the copies the delay line sends for `duplicate`: the queue
// rules let them by, so a copy is not queued (and duplicated) again.
inline constexpr std::uint32_t kDuplicateMark = 0x0fa17d00;

struct QueuedFault {
  std::string device;
  Direction side = Direction::egress;  // egress or ingress
  Match match;
  std::uint16_t queue = 0;
  Impairments impairments;
  bool down = false;  // a flap's down half: drop everything
  std::vector<Exclusion> exclusions;  // the control-path exclusions this fault spares
};

class QueueBackend {
 public:
  virtual ~QueueBackend() = default;
  // The delay line binds the queue, then the rule starts feeding it. All or
  // nothing: on failure what was made is removed and the error thrown.
  virtual void install(const QueuedFault& fault) = 0;
  virtual void change(std::uint16_t queue, const Impairments& impairments, bool down) = 0;
  // The rule goes first, then the queue lets go of what it holds.
  virtual void remove(std::uint16_t queue) = 0;
  virtual QueueCounters counters(std::uint16_t queue) = 0;
  // Rules a previous run left (tables of ours); removed at start.
  virtual bool has_leftovers() = 0;
  virtual void remove_leftovers() = 0;
};

}  // namespace injector::delayline
