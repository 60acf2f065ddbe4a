#pragma once
// The payment API as a drill sees it: a client of the system under test's
// public HTTP API (the lab's router, or a user's own gateway) and nothing
// more, so the same drill runs against any system that speaks it.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "injector/drill/payments_dialect.h"

namespace injector::drill {

struct PaymentRequest {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t amount_minor = 0;
  std::string currency;

  nlohmann::json to_json() const;
};

// One HTTP exchange. status 0: no answer at all (refused, timed out, reset),
// and transport_error says which.
struct PaymentAnswer {
  int status = 0;
  std::string transport_error;
  std::string served_by;  // the dialect's served_by_header: the datacenter that answered
  bool replay = false;    // Idempotent-Replay: true, a stored outcome
  nlohmann::json body;    // null when the body is not JSON
  std::string raw_body;   // as received: the dialect's body_match reads it
};

// Not thread-safe: one per worker thread (each keeps its own connection).
class PaymentsApi {
 public:
  // base_url: http(s)://HOST[:PORT][/PREFIX]; PREFIX goes before every
  // path. Throws std::invalid_argument on anything else.
  PaymentsApi(const std::string& base_url, std::chrono::milliseconds timeout,
              const PaymentsDialect& dialect = PaymentsDialect());
  ~PaymentsApi();
  PaymentsApi(PaymentsApi&&) noexcept;
  PaymentsApi& operator=(PaymentsApi&&) noexcept;

  // The dialect's request for this payment.
  PaymentAnswer pay(const std::string& idempotency_key, const PaymentRequest& request);
  // GET PREFIX + path; returns the JSON body of a 200, throws std::runtime_error otherwise.
  nlohmann::json get_json(const std::string& path);
  // POST path with a JSON body; returns the answer whatever its status.
  PaymentAnswer post_json(const std::string& path, const nlohmann::json& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "http://10.77.4.11:8080" -> host and port; throws std::invalid_argument.
struct HttpAddress {
  std::string host;
  int port = 0;
};
HttpAddress parse_http_url(const std::string& url);

// "https://pay.example.com/api/" -> origin "https://pay.example.com" and
// prefix "/api"; throws std::invalid_argument naming what is wrong.
struct ApiUrl {
  std::string origin;
  std::string prefix;
};
ApiUrl parse_api_url(const std::string& url);

}  // namespace injector::drill
