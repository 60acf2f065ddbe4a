#include "injector/hold.h"

#include <ostream>

#include "injector/cli.h"
#include "injector/stop_signal.h"

namespace injector::cli {
namespace {

using Clock = std::chrono::steady_clock;

int let_go(const HoldOptions& o, std::ostream& out, std::ostream& err) {
  try {
    const auto r = client::http_request(o.endpoint, "DELETE", "/v1/faults/" + o.id);
    if (r.status == 200 || r.status == 404) {
      out << (r.status == 200 ? "reverted " : "already gone: ") << o.id << "\n";
      return kOk;
    }
    err << "injector: error: reverting " << o.id << " failed (HTTP " << r.status << "): " << r.body << "\n";
    return kDaemonFailed;
  } catch (const std::exception& e) {
    err << "injector: error: could not revert " << o.id << ": " << e.what()
        << "; the daemon reverts it when its lease runs out\n";
    return kUnreachable;
  }
}

}  // namespace

int hold(const HoldOptions& o, std::ostream& out, std::ostream& err) {
  watch_stop_signals();
  const auto start = Clock::now();
  const auto period = std::max<Clock::duration>(o.lease / 3, std::chrono::milliseconds(30));
  err << "holding " << o.id << " (lease " << o.lease.count() << " ms, renewed every "
      << std::chrono::duration_cast<std::chrono::milliseconds>(period).count() << " ms); Ctrl-C reverts it\n";
  for (auto next = start + period;; next += period) {
    sleep_until_or_stop(next);
    if (stop_requested()) return let_go(o, out, err);
    try {
      const auto r = client::http_request(o.endpoint, "POST", "/v1/faults/" + o.id + "/lease");
      if (r.status == 404) {
        const bool lifetime_over = Clock::now() - start >= o.lifetime_left - std::chrono::seconds(1);
        if (lifetime_over) {
          out << "fault " << o.id << " reached the end of its lifetime\n";
          return kOk;
        }
        err << "injector: error: fault " << o.id << " is gone (reverted by someone else, or its lease lapsed)\n";
        return kNotFound;
      }
      if (r.status != 200) err << "injector: warning: renewing " << o.id << " answered HTTP " << r.status << "\n";
    } catch (const std::exception& e) {
      err << "injector: warning: could not renew " << o.id << " (" << e.what() << "); retrying\n";
    }
  }
}

}  // namespace injector::cli
