// The HTTP probe: one request on a fresh connection (a reused one would hide
// a server that no longer accepts), judged by status, body and latency.

#include <httplib.h>

#include "injector/drill/probe_kinds.h"

namespace injector::drill::probe_detail {

namespace {

using Clock = std::chrono::steady_clock;

std::string range_text(const playbook::StatusRange& r) {
  return r.low == r.high ? std::to_string(r.low) : std::to_string(r.low) + "-" + std::to_string(r.high);
}

// A request that got no answer. A refusal or a reset is the system's answer
// ("unreachable" is an observation), so fail; running out of time is not
// knowing, so unknown. httplib reports a read timeout and a reset alike
// (Error::Read): the time it took tells them apart, as in traffic.cpp.
Observation judge_no_answer(httplib::Error error, std::int64_t took_ms, std::chrono::milliseconds timeout) {
  const std::string what = httplib::to_string(error);
  const bool timed_out = error == httplib::Error::ConnectionTimeout || took_ms + 1 >= timeout.count();
  if (timed_out) {
    return {Observed::kUnknown, "no answer within " + std::to_string(timeout.count()) + " ms (" + what + ")", {}};
  }
  const std::string after = " after " + std::to_string(took_ms) + " ms (" + what + ")";
  switch (error) {
    case httplib::Error::Connection: return {Observed::kFail, "unreachable: could not connect (refused, or no route)" + after, {}};
    case httplib::Error::Read:
    case httplib::Error::Write: return {Observed::kFail, "unreachable: connection reset" + after, {}};
    case httplib::Error::SSLConnection: return {Observed::kFail, "TLS handshake failed" + after, {}};
    case httplib::Error::SSLServerVerification:
      return {Observed::kFail, "the server's TLS certificate was not accepted" + after, {}};
    default: return {Observed::kUnknown, "the request could not be made: " + what, {}};
  }
}

Observation judge_answer(const playbook::HttpProbe& p, const httplib::Response& res, std::int64_t took_us,
                         std::chrono::milliseconds timeout) {
  const double latency_s = static_cast<double>(took_us) / 1e6;
  const std::string took = std::to_string(took_us / 1000) + " ms";
  if (took_us > std::chrono::microseconds(timeout).count()) {
    return {Observed::kUnknown, "answered " + std::to_string(res.status) + " after the timeout, in " + took, latency_s};
  }
  const auto& range = p.call.status;
  if (res.status < range.low || res.status > range.high) {
    return {Observed::kFail, "status " + std::to_string(res.status) + " not in " + range_text(range), latency_s};
  }
  if (!p.body_match.empty()) {
    std::string why;
    const auto found = regex_found(p.body_match, res.body, &why);
    if (!found) return {Observed::kUnknown, "body_match /" + p.body_match + "/: " + why, latency_s};
    if (!*found) return {Observed::kFail, "body does not match /" + p.body_match + "/", latency_s};
  }
  if (p.max_latency && took_us > std::chrono::microseconds(*p.max_latency).count()) {
    return {Observed::kFail,
            "answered in " + took + ", over max_latency " + std::to_string(p.max_latency->count()) + " ms",
            latency_s};
  }
  return {Observed::kOk, std::to_string(res.status) + " in " + took, latency_s};
}

httplib::Request request_of(const playbook::HttpCall& call, const std::string& path) {
  httplib::Request req;
  req.method = call.method;
  req.path = path;
  for (const auto& [name, value] : call.headers) req.headers.emplace(name, value);
  req.body = call.body;
  return req;
}

}  // namespace

Observation check_http(const playbook::HttpProbe& p, std::chrono::milliseconds timeout) {
  const auto url = split_url(p.call.url);
  if (!url) return {Observed::kUnknown, "not an http:// or https:// URL: " + p.call.url, {}};
  httplib::Client client(url->origin);
  if (!client.is_valid()) return {Observed::kUnknown, "cannot make a client for " + url->origin, {}};
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_tcp_nodelay(true);

  const auto start = Clock::now();
  const httplib::Result result = client.send(request_of(p.call, url->path));
  const auto took_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  if (!result) return judge_no_answer(result.error(), took_us / 1000, timeout);
  return judge_answer(p, *result, took_us, timeout);
}

}  // namespace injector::drill::probe_detail
