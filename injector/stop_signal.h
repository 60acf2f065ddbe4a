#pragma once
// Ctrl-C and SIGTERM for commands that hold faults in the foreground: the
// signal only sets a flag; the holder notices it within 50 ms, reverts what
// it holds and exits.

#include <chrono>

namespace injector::cli {

// Installs SIGINT/SIGTERM handlers and clears any earlier request.
void watch_stop_signals();
bool stop_requested();
// How many stop signals came since watch_stop_signals(): a drill reverts on
// the first and stops waiting for its workload and report on the second.
int stop_count();
// Sleeps until `until`, waking early (within 50 ms) when a stop is requested.
void sleep_until_or_stop(std::chrono::steady_clock::time_point until);

}  // namespace injector::cli
