#pragma once
// Holding a fault (`injector fault apply ... --hold`): the CLI stays in the
// foreground and renews the fault's lease, so the fault lives exactly as long
// as its holder. Ctrl-C (SIGINT) or SIGTERM reverts it before exiting; a
// holder killed outright, or cut off from its daemon by its own fault, stops
// renewing and the daemon reverts the fault when the lease runs out.

#include <chrono>
#include <iosfwd>
#include <string>

#include "injector/http_client.h"

namespace injector::cli {

struct HoldOptions {
  client::Endpoint endpoint;
  std::string id;
  std::chrono::milliseconds lease{10'000};
  std::chrono::milliseconds lifetime_left{0};  // from the apply answer: when the fault ends by itself
};

// Renews every lease/3 until a signal arrives (then reverts) or the fault is
// gone. Returns an exit code: 0 when reverted or when its lifetime ended;
// kFleetFailed (11, "a held fault was lost"), saying why, when someone else
// reverted it, its lease lapsed, or no renewal got through for a whole lease
// (the daemon stopped, or cannot be reached).
int hold(const HoldOptions& options, std::ostream& out, std::ostream& err);

}  // namespace injector::cli
