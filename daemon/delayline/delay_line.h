#pragma once
// The userspace delay line: netem's impairments for kernels without sch_netem.
// Packets reach it through NFQUEUE (the rule comes from daemon/nft, with queue
// bypass, so traffic flows on undelayed if this process dies). One thread
// serves every queue: it reads packets, decides their fate with a DelayModel,
// holds them in a min-heap of release times and gives each its verdict when
// due (a timerfd on CLOCK_MONOTONIC; no busy waiting when idle).
//
// Duplicates are re-sent through a raw socket with SO_MARK = duplicate_mark
// and routed out again: they only make sense on egress (an ingress packet
// re-sent that way would leave the host instead of arriving).
//
// Thread safety: every public member may be called from the daemon's main
// thread while the delay-line thread runs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/impairments.h"
#include "daemon/delayline/lateness.h"

namespace injector::delayline {

struct QueueCounters {
  std::uint64_t packets_seen = 0;
  std::uint64_t bytes_seen = 0;
  std::uint64_t packets_sent = 0;     // verdict accept (duplicates included)
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_dropped = 0;  // lost by the model (loss, cut) plus overflow
  std::uint64_t packets_overflow = 0; // drop-tail: the queue was at its limit
  std::uint64_t packets_delayed = 0;  // released later than they arrived
  std::uint64_t packets_duplicated = 0;
  std::uint64_t packets_corrupted = 0;
  std::uint64_t packets_reordered = 0;  // sent ahead of packets that arrived before them
};

struct QueueOptions {
  std::uint32_t limit = 10'000;        // packets held at once (netem's default limit); drop-tail beyond
  std::uint32_t socket_buffer = 8u << 20;  // receive buffer, bytes
  std::uint32_t duplicate_mark = 0;    // fwmark on re-sent duplicates, so the rule lets them by (0: none)
};

class DelayLine {
 public:
  DelayLine();
  ~DelayLine();  // stops the thread; releases every held packet (accept) first
  DelayLine(const DelayLine&) = delete;
  DelayLine& operator=(const DelayLine&) = delete;

  // Binds NFQUEUE number `queue` (copy-packet mode, kernel queue maxlen raised
  // to options.limit) and starts impairing what arrives there. Throws
  // std::runtime_error naming what failed (e.g. the queue is bound elsewhere).
  void add(std::uint16_t queue, const Impairments& imp, const QueueOptions& options = {});
  // A live change: new packets follow the new impairments; held ones keep
  // their release times. `down` drops everything (a flap's down half, or a cut).
  void change(std::uint16_t queue, const Impairments& imp, bool down);
  // Releases what the queue holds (accept, at once) and unbinds it.
  void remove(std::uint16_t queue);
  // Per queue; kept after remove() (the last figures), reset by a new add().
  // Throws std::invalid_argument for a queue never added.
  QueueCounters counters(std::uint16_t queue) const;
  // Times the kernel could not queue to us because our receive buffer was full
  // (ENOBUFS): packets lost before any queue saw them, so in no QueueCounters.
  std::uint64_t receive_overruns() const;
  // How late verdicts went out against their release times, every queue
  // together, since the line started (early releases by remove() not counted).
  Lateness release_lateness() const;
  // Runs fn on the delay line's thread and waits; rethrows what it throws.
  // For per-thread state the owner must set there too (capabilities).
  void run_on_worker(const std::function<void()>& fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace injector::delayline
