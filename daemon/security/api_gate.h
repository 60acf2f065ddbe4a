#pragma once
// The door in front of the API router: refuses peers the policy does not
// allow (403, logged) and writes every call, refused ones included, to the
// audit log. The daemon's HTTP handler is this gate's handle().
// A TLS caller is allowed: the handshake already verified its certificate
// against --client-ca, which is the authorization boundary for TCP.

#include <functional>

#include "daemon/http/http_server.h"
#include "daemon/security/audit_log.h"
#include "daemon/security/peer_policy.h"

namespace injector::security {

class ApiGate {
 public:
  // `audit` may be null (no --audit-log); it must outlive the gate.
  ApiGate(http::Handler inner, PeerPolicy policy, AuditLog* audit)
      : inner_(std::move(inner)), policy_(std::move(policy)), audit_(audit) {}
  http::Response handle(const http::Request& request) const;
  // A TLS client whose handshake failed (no, or an unverifiable, client
  // certificate; not TLS at all): logged and audited as refused. Under a
  // flood the server calls this for a few, then one a second, and `reason`
  // ends with how many more there were (daemon/http/log_limiter.h).
  void refuse_handshake(const http::TcpAddress& remote, const std::string& reason) const;

 private:
  bool allowed(const http::PeerCredentials& peer) const;
  http::Response serve(const http::Request& request) const;
  void audit(const AuditRecord& record) const;

  http::Handler inner_;
  PeerPolicy policy_;
  AuditLog* audit_;
};

}  // namespace injector::security
