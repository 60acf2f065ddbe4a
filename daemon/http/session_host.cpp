// What the sessions of one server share: the caps, their counters, and the
// rate-limited log lines about peers turned away (daemon/http/session.h).

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "daemon/http/session.h"

namespace injector::http {

SessionHost::SessionHost(boost::asio::io_context& io, std::string n, std::size_t body, std::size_t header,
                         ConnectionLimits limits, std::shared_ptr<ConnectionStats> s, Handler h, RefusalHandler r)
    : name(std::move(n)),
      max_body_bytes(body),
      max_header_bytes(header),
      handler(std::move(h)),
      on_refused(std::move(r)),
      caps(limits),
      stats(s ? std::move(s) : std::make_shared<ConnectionStats>()),
      summary_timer_(io) {}

void SessionHost::close_sessions() {
  // close() only queues completions, but copy anyway so the loop never
  // depends on that.
  const std::vector<SessionBase*> open(sessions.begin(), sessions.end());
  for (SessionBase* session : open) session->close();
  summary_timer_.cancel();
}

std::optional<std::uint64_t> SessionHost::may_log(const std::string& key) {
  auto left_out = log_limiter_.admit(key, LogLimiter::Clock::now());
  if (!left_out) arm_summary();
  return left_out;
}

void SessionHost::refused(Refusal why, const std::string& source) {
  stats->count(why);
  const std::string key = name + " connections refused (" + std::string(to_string(why)) + ")";
  if (const auto left_out = may_log(key)) {
    const auto& l = caps.limits();
    spdlog::warn("{}: refused a connection from {}: {} (pending {}/{}, from it {}/{}, authenticated {}/{}){}", name,
                 source, to_string(why), caps.pending(), l.max_pending, caps.pending_from(source),
                 l.max_pending_per_source, caps.authenticated(), l.max_authenticated,
                 suppressed_suffix(*left_out));
  }
}

void SessionHost::timed_out(const std::string& source) {
  ++stats->handshake_timeouts;
  const std::string key = name + " handshake timeouts";
  if (const auto left_out = may_log(key)) {
    spdlog::warn("{}: closed a connection from {}: {} within the handshake timeout ({} ms){}", name, source,
                 name == "tls" ? "no TLS handshake completed" : "no request head arrived",
                 caps.limits().handshake_timeout.count(), suppressed_suffix(*left_out));
  }
}

void SessionHost::sync_gauges() {
  stats->pending = caps.pending();
  stats->authenticated = caps.authenticated();
}

// Once a second while lines are being left out: their counts, so the log
// still says how much happened after the flood has stopped.
void SessionHost::arm_summary() {
  if (summary_armed_ || stopped) return;
  summary_armed_ = true;
  summary_timer_.expires_after(log_limiter_.interval());
  summary_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled at stop (the host may be going away): touch nothing
    summary_armed_ = false;
    for (const auto& [key, n] : log_limiter_.take_overdue(LogLimiter::Clock::now())) {
      spdlog::warn("{}: {} more since the last line, not logged one by one", key, n);
    }
    if (log_limiter_.has_suppressed()) return arm_summary();
    // The flood is over: hand the heap's free pages back to the system, so
    // the RSS it caused does not stay (glibc keeps them otherwise).
    ::malloc_trim(0);
  });
}

ConnectionSlot::ConnectionSlot(std::shared_ptr<SessionHost> host, std::string source)
    : host_(std::move(host)), source_(std::move(source)), state_(State::pending) {
  host_->sync_gauges();
}

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : host_(std::move(other.host_)), source_(std::move(other.source_)), state_(other.state_) {
  other.state_ = State::empty;
}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    release();
    host_ = std::move(other.host_);
    source_ = std::move(other.source_);
    state_ = other.state_;
    other.state_ = State::empty;
  }
  return *this;
}

bool ConnectionSlot::promote() {
  if (state_ != State::pending) return state_ == State::authenticated;
  host_->caps.end_pending(source_);
  const Refusal r = host_->caps.admit_authenticated();
  state_ = r == Refusal::none ? State::authenticated : State::empty;
  host_->sync_gauges();
  if (r != Refusal::none) host_->refused(r, source_);
  return r == Refusal::none;
}

void ConnectionSlot::release() noexcept {
  if (state_ == State::pending) host_->caps.end_pending(source_);
  if (state_ == State::authenticated) host_->caps.end_authenticated();
  if (state_ != State::empty) host_->sync_gauges();
  state_ = State::empty;
}

}  // namespace injector::http
