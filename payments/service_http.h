#pragma once
// The payment service's HTTP API (see README.md) on a cpp-httplib server.

#include <httplib.h>

#include <string>

#include "ledger.h"
#include "ownership.h"

namespace payments {

void install_service_routes(httplib::Server& server, Ledger& ledger, Ownership& ownership, const PayConfig& config,
                            const std::string& dc);

// Writes an Answer (status, JSON body, Retry-After, Idempotent-Replay).
void write_answer(httplib::Response& res, const Answer& a);

// "ADDR:PORT" -> {addr, port}; throws std::invalid_argument.
std::pair<std::string, int> parse_listen(const std::string& text);

}  // namespace payments
