#include "injector/drill/payments_api.h"

#include <httplib.h>

#include <charconv>
#include <stdexcept>

namespace injector::drill {

nlohmann::json PaymentRequest::to_json() const {
  return {{"from", from}, {"to", to}, {"amount_minor", amount_minor}, {"currency", currency}};
}

HttpAddress parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  auto bad = [&url](const std::string& why) {
    return std::invalid_argument("payment API URL '" + url + "': " + why + " (expected http://HOST:PORT)");
  };
  if (url.rfind(scheme, 0) != 0) throw bad("only http:// is supported");
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) throw bad("no port");
  HttpAddress a;
  a.host = rest.substr(0, colon);
  if (a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  const std::string port = rest.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (ec != std::errc() || end != port.data() + port.size() || a.port < 1 || a.port > 65535) {
    throw bad("port must be 1-65535");
  }
  if (a.host.find('/') != std::string::npos) throw bad("no path allowed");
  return a;
}

struct PaymentsApi::Impl {
  explicit Impl(const HttpAddress& a) : client(a.host, a.port) {}
  httplib::Client client;
};

PaymentsApi::PaymentsApi(const std::string& base_url, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(parse_http_url(base_url))) {
  auto& c = impl_->client;
  c.set_keep_alive(true);
  // httplib writes a request's headers and body separately: with Nagle's
  // algorithm the body waits for the server's delayed ACK, 40 ms a payment.
  c.set_tcp_nodelay(true);
  c.set_connection_timeout(timeout);
  c.set_read_timeout(timeout);
  c.set_write_timeout(timeout);
}

PaymentsApi::~PaymentsApi() = default;
PaymentsApi::PaymentsApi(PaymentsApi&&) noexcept = default;
PaymentsApi& PaymentsApi::operator=(PaymentsApi&&) noexcept = default;

namespace {

PaymentAnswer answer_of(const httplib::Result& result) {
  PaymentAnswer a;
  if (!result) {
    a.transport_error = httplib::to_string(result.error());
    return a;
  }
  a.status = result->status;
  a.served_by = result->get_header_value("X-Served-By");
  a.replay = result->get_header_value("Idempotent-Replay") == "true";
  a.body = nlohmann::json::parse(result->body, nullptr, false);
  if (a.body.is_discarded()) a.body = nullptr;
  return a;
}

}  // namespace

PaymentAnswer PaymentsApi::pay(const std::string& idempotency_key, const PaymentRequest& request) {
  const httplib::Headers headers{{"Idempotency-Key", idempotency_key}};
  return answer_of(impl_->client.Post("/v1/payments", headers, request.to_json().dump(), "application/json"));
}

PaymentAnswer PaymentsApi::post_json(const std::string& path, const nlohmann::json& body) {
  return answer_of(impl_->client.Post(path, body.dump(), "application/json"));
}

nlohmann::json PaymentsApi::get_json(const std::string& path) {
  const auto result = impl_->client.Get(path);
  if (!result) throw std::runtime_error("GET " + path + ": " + httplib::to_string(result.error()));
  if (result->status != 200) {
    throw std::runtime_error("GET " + path + ": HTTP " + std::to_string(result->status) + ": " + result->body);
  }
  auto j = nlohmann::json::parse(result->body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("GET " + path + ": the answer is not JSON");
  return j;
}

}  // namespace injector::drill
