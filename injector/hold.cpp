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

// 404 on a renewal: the end of its lifetime, or lost (reverted by someone
// else, or its lease lapsed while we could not reach the daemon).
int gone(const HoldOptions& o, Clock::time_point start, std::ostream& out, std::ostream& err) {
  if (Clock::now() - start >= o.lifetime_left - std::chrono::seconds(1)) {
    out << "fault " << o.id << " reached the end of its lifetime\n";
    return kOk;
  }
  err << "injector: error: fault " << o.id << " is lost: the daemon no longer has it (reverted by someone else, or "
      << "its lease lapsed); not holding any longer\n";
  return kFleetFailed;
}

}  // namespace

int hold(const HoldOptions& o, std::ostream& out, std::ostream& err) {
  watch_stop_signals();
  const auto start = Clock::now();
  const auto period = std::max<Clock::duration>(o.lease / 3, std::chrono::milliseconds(30));
  err << "holding " << o.id << " (lease " << o.lease.count() << " ms, renewed every "
      << std::chrono::duration_cast<std::chrono::milliseconds>(period).count() << " ms); Ctrl-C reverts it\n";
  // The daemon counts the lease from the last renewal it took: past that
  // without one, it has reverted the fault (or is not there to hold it), so
  // holding on would only pretend the fault is still in place.
  auto renewed = start;
  std::string last_failure;
  for (auto next = start + period;; next += period) {
    sleep_until_or_stop(next);
    if (stop_requested()) return let_go(o, out, err);
    try {
      const auto r = client::http_request(o.endpoint, "POST", "/v1/faults/" + o.id + "/lease");
      if (r.status == 200) {
        renewed = Clock::now();
        continue;
      }
      if (r.status == 404) return gone(o, start, out, err);
      last_failure = "HTTP " + std::to_string(r.status);
    } catch (const std::exception& e) {
      last_failure = e.what();
    }
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - renewed);
    if (since >= o.lease) {
      err << "injector: error: fault " << o.id << " is lost: no renewal for " << since.count()
          << " ms, longer than its " << o.lease.count() << " ms lease (last: " << last_failure
          << "), so the daemon has reverted it or is not running; not holding any longer\n";
      return kFleetFailed;
    }
    err << "injector: warning: could not renew " << o.id << " (" << last_failure << "); retrying for "
        << (o.lease - since).count() << " ms more\n";
  }
}

}  // namespace injector::cli
