#pragma once
// The v1 HTTP API: maps requests to FaultEngine calls and errors to status
// codes with a JSON body that names the field. See docs/api.md.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/apply_warnings.h"
#include "daemon/fault_engine.h"
#include "daemon/http/http_server.h"

namespace injector {

struct ApiInfo {
  std::size_t max_body_bytes = 0;
  // "held", or why the daemon could not hold the classifier switch (tc/classifier_switch.h).
  std::string classifier_switch = "not held";
  // This namespace's addresses, for the apply answer's warnings (tests give their own).
  std::function<std::vector<Cidr>()> host_addresses = injector::host_addresses;
  std::function<bool(const std::string&)> device_exists = injector::device_exists;
};

class ApiRouter {
 public:
  ApiRouter(FaultEngine& engine, ApiInfo info) : engine_(engine), info_(info) {}
  http::Response handle(const http::Request& request);

  nlohmann::json fault_json(const Fault& f) const;
  nlohmann::json kernel_json(const Fault& f) const;

 private:
  http::Response faults(const http::Request& request);
  // POST /v1/faults and /v1/faults/prepare: the fault, and `warnings` about its spec.
  http::Response applied(const FaultSpec& spec, const Fault& f) const;
  http::Response commit(const http::Request& request, const std::string& id);
  http::Response one_fault(const http::Request& request, const std::string& id);
  http::Response update(const http::Request& request, const std::string& id);
  http::Response health() const;
  nlohmann::json capabilities_json() const;

  FaultEngine& engine_;
  ApiInfo info_;
};

}  // namespace injector
