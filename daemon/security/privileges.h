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

// Reduces the process to exactly serving_capabilities() in its effective and
// permitted sets, empties the inheritable and ambient sets, drops every other
// capability from the bounding set (needs CAP_SETPCAP until then) and sets
// no_new_privs; then reads the state back and checks it. Capabilities are per
// thread, so it refuses unless the process has a single thread. Throws
// std::runtime_error naming the step that failed and what to change.
// Returns a one-line summary for the log.
std::string drop_privileges();

}  // namespace injector::security
