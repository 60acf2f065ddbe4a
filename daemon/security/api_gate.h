#pragma once
// The door in front of the API router: refuses peers the policy does not
// allow (403, logged) and writes every call, refused ones included, to the
// audit log. The daemon's HTTP handler is this gate's handle().

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

 private:
  bool allowed(const http::PeerCredentials& peer) const;
  http::Response serve(const http::Request& request) const;

  http::Handler inner_;
  PeerPolicy policy_;
  AuditLog* audit_;
};

}  // namespace injector::security
