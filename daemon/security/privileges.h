#pragma once
// Least privilege: once startup has done what needs more (the capability
// probe unshares a network namespace: CAP_SYS_ADMIN; the socket is chowned
// to --allow-group: CAP_CHOWN), the daemon keeps only what serving faults
// needs. CAP_NET_ADMIN: traffic control, ifb links, nf_tables over netlink,
// SO_RCVBUFFORCE and SO_MARK. CAP_NET_RAW: the delay line's raw sockets.

#include <string>
#include <vector>

namespace injector::security {

// The capabilities kept while serving, by name ("CAP_NET_ADMIN", ...).
std::vector<std::string> serving_capabilities();

// Reduces the calling thread to exactly serving_capabilities() in its
// effective and permitted sets, empties its inheritable and ambient sets,
// drops every other capability from its bounding set (needs CAP_SETPCAP
// until then) and sets its no_new_privs. All of these are per thread: every
// other thread of the process must call it too (the delay line's, via
// KernelQueues::run_on_worker). Throws std::runtime_error naming the step
// that failed and what to change.
void drop_thread_privileges();

// Drops the calling thread, then checks every thread of the process in
// /proc/self/task: a thread that holds more than the kept capabilities, or
// lacks no_new_privs, makes it throw, naming the thread. Returns a one-line
// summary for the log.
std::string drop_privileges();

}  // namespace injector::security
