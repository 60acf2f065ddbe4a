#pragma once
// What delays site a's egress in delayline_bench, installed through the
// product's own code so the benchmark measures the real path:
//   delayline: nft::add_queue_rules (egress eth0, udp to b) feeding a DelayLine
//              whose thread is pinned to CPU 1 (one core);
//   netem:     a netem root qdisc on a's eth0 (delay 50 ms, limit 100000),
//              added over netlink by tc::add_netem_qdisc;
//   none:      nothing: the undelayed path, run at each rate as the baseline.

#include <cstdint>
#include <memory>
#include <string>

#include "daemon/delayline/lateness.h"
#include "support/netns.h"

namespace injector::delayline {
class DelayLine;
}

namespace injector::bench {

enum class Kind : std::uint8_t { none, delayline, netem };
const char* name(Kind k);

class Impairer {
 public:
  explicit Impairer(const testing::ThreeSiteLab& lab);
  ~Impairer();  // removes what is installed; never throws
  Impairer(const Impairer&) = delete;
  Impairer& operator=(const Impairer&) = delete;

  void install(Kind k);  // at most one at a time; throws with the reason
  void remove();
  // Empty when this kernel can add a netem qdisc, else why not.
  std::string netem_unavailable();
  // Packets the delay line could not receive (socket overruns) so far.
  std::uint64_t overruns() const;
  // The delay line's own release lateness so far (empty before its first use).
  delayline::Lateness lateness() const;

 private:
  template <class F>
  void in_site_a(F fn) const;

  const testing::ThreeSiteLab& lab_;
  std::unique_ptr<delayline::DelayLine> line_;
  Kind installed_ = Kind::none;
};

}  // namespace injector::bench
