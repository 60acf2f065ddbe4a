#pragma once
// payrouter's HTTP front: each POST /v1/payments goes ONCE to the owner of
// the payer's unit (never retried here: the client retries with the same
// Idempotency-Key); the answer passes through with the service's
// X-Served-By. GETs go to any service that answers.

#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "config.h"
#include "unit_map.h"

namespace payments {

struct RouterOptions {
  std::map<std::string, std::string> services;  // DC -> base URL
  std::chrono::milliseconds deadline{300};       // connect timeout
  std::chrono::milliseconds forward_timeout{2400};  // a payment may take several etcd round trips
};

void install_router_routes(httplib::Server& server, const UnitMap& map, const PayConfig& config,
                           const RouterOptions& options);

// "hz=http://10.77.1.11:8080" -> {dc, url}; throws std::invalid_argument.
std::pair<std::string, std::string> parse_service(const std::string& text);

}  // namespace payments
