#include "daemon/security/api_gate.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/fault_json.h"
#include "common/strings.h"

namespace injector::security {

// A policy that cannot decide refuses: failing open would hand root's powers out.
bool ApiGate::allowed(const http::PeerCredentials& peer) const {
  if (peer.by_certificate()) return true;  // only a verified handshake sets a subject
  try {
    return policy_(peer);
  } catch (const std::exception& e) {
    spdlog::error("authorizing uid {} failed, refusing: {}", peer.uid, e.what());
    return false;
  }
}

// The server would turn an escaping exception into a 500 itself, but then
// the audit log would never hear of the call.
http::Response ApiGate::serve(const http::Request& request) const {
  try {
    return inner_(request);
  } catch (const std::exception& e) {
    return {500, error_json("internal", e.what()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
  }
}

http::Response ApiGate::handle(const http::Request& request) const {
  http::Response response;
  if (allowed(request.peer)) {
    response = serve(request);
  } else {
    spdlog::warn("refused uid {} gid {} pid {}: {} {} (not root nor in the allowed group)", request.peer.uid,
                 request.peer.gid, request.peer.pid, printable(request.method),
                 printable(request.target, limits::kMaxLoggedTarget));
    response = forbidden(request.peer);
  }
  // Summarizing reads both bodies (a fault may list 10,000 targets): only when auditing.
  if (audit_) audit(summarize(request, response, std::chrono::system_clock::now()));
  return response;
}

void ApiGate::refuse_handshake(const http::TcpAddress& remote, const std::string& reason) const {
  spdlog::warn("refused TLS client {}: {}", remote.to_string(), printable(reason, limits::kMaxLoggedTarget));
  audit(refused_handshake(remote, reason, std::chrono::system_clock::now()));
}

void ApiGate::audit(const AuditRecord& record) const {
  if (!audit_) return;
  try {
    audit_->write(record);
  } catch (const std::exception& e) {
    // The call already happened; say loudly that its record is missing.
    spdlog::error("audit: {}", e.what());
  }
}

}  // namespace injector::security
