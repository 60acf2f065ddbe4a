#pragma once
// The traffic side of delayline_bench: a paced UDP stream from site a to site
// b of a ThreeSiteLab, each datagram carrying its send time, and the one-way
// delays the receiver saw. Sender and receiver run pinned to CPU 0 so that
// CPU 1 is left to whatever impairs the path (the delay-line thread).

#include <cstdint>
#include <string>

#include "support/netns.h"

namespace injector::bench {

struct LoadResult {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // one-way delay as the receiver saw it
  long sent = 0, received = 0;
  double seconds = 0;          // the sender's wall time
  double load_cpu_s = 0;       // sender + receiver thread CPU (user + system)
  double process_cpu_s = 0;    // this whole process over the run (user + system)
  double machine_busy_s = 0;   // every CPU's non-idle time over the run (/proc/stat)
};

// Sends `rate` datagrams per second for `seconds`, then waits until 600 ms
// pass with nothing arriving. Throws std::runtime_error if a socket cannot be made.
LoadResult run_load(const testing::ThreeSiteLab& lab, int rate, double seconds);

// Helpers shared with the benchmark's set-up code.
void pin_to_cpu(int cpu);
void enter_netns(const std::string& ns);
// Busy (non-idle, non-iowait) seconds summed over every CPU since boot.
double machine_busy_seconds();

}  // namespace injector::bench
