#pragma once
// QueueBackend over the real kernel: the delay line's thread and the
// nf_tables rules that feed it (daemon/nft). Construct it in the network
// namespace it is to serve: its netlink sockets stay in the one they were
// opened in.

#include "daemon/delayline/delay_line.h"
#include "daemon/delayline/queue_backend.h"

namespace injector::delayline {

class KernelQueues final : public QueueBackend {
 public:
  void install(const QueuedFault& fault) override;
  void change(std::uint16_t queue, const Impairments& impairments, bool down) override;
  void remove(std::uint16_t queue) override;
  QueueCounters counters(std::uint16_t queue) override;
  bool has_leftovers() override;
  void remove_leftovers() override;
  // Runs fn on the delay line's thread (injectord's privilege drop: capabilities are per thread).
  void run_on_worker(const std::function<void()>& fn) { line_.run_on_worker(fn); }

 private:
  DelayLine line_;
};

}  // namespace injector::delayline
