#pragma once
// The `injector` command line: builds a FaultSpec from flags, sends it to a
// daemon, prints the answer. run() is the whole program minus main(), so the
// tests drive it with argv and read what it printed.

#include <iosfwd>
#include <string>
#include <vector>

namespace injector::cli {

// Exit codes, documented in --help and README.md.
enum ExitCode : int {
  kOk = 0,
  kInternal = 1,      // unexpected failure in the CLI itself
  kUsage = 2,         // bad flags or values; nothing was sent
  kUnreachable = 3,   // the daemon could not be reached
  kRejected = 4,      // the daemon refused the request as invalid (HTTP 400/405/413)
  kNotFound = 5,      // no such fault (HTTP 404)
  kConflict = 6,      // the device holds traffic control we do not own (HTTP 409)
  kDaemonFailed = 7,  // the daemon tried and failed (HTTP 5xx)
  kUnsupported = 8,   // the host's kernel lacks a feature the fault needs (HTTP 422)
  kForbidden = 9,     // the daemon refuses this user (HTTP 403) or, over TLS, our client certificate
  kUntrusted = 10,    // TLS: the daemon's certificate does not verify against --ca for that host; nothing was sent
  kFleetFailed = 11,  // a fleet operation failed on some host; what it changed elsewhere was rolled back
};

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The exit code for a daemon's HTTP error status (403 -> kForbidden, ...).
int exit_for_status(int status);

// "?label=K%3DV&..." for the daemon's label filter, from KEY=VALUE texts
// (checked like apply's labels; throws FieldError on a bad one).
std::string label_query(const std::vector<std::string>& labels);

// "10.0.0.0/8,fd00::/64" or "@file" (one or more CIDRs per line, '#' comments).
// `flag` names the option in errors (--to, --from).
std::vector<std::string> expand_targets(const std::vector<std::string>& values, const std::string& flag = "--to");

}  // namespace injector::cli
