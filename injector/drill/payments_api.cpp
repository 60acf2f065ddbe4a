#include "injector/drill/payments_api.h"
#include "common/strings.h"

#include <httplib.h>

#include <charconv>
#include <regex>
#include <stdexcept>

namespace injector::drill {

nlohmann::json PaymentRequest::to_json() const {
  return {{"from", from}, {"to", to}, {"amount_minor", amount_minor}, {"currency", currency}};
}

HttpAddress parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  auto bad = [&url](const std::string& why) {
    return std::invalid_argument("payment API URL " + quote_input(url) + ": " + why + " (expected http://HOST:PORT)");
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

ApiUrl parse_api_url(const std::string& url) {
  static const std::regex kUrl(R"((https?://(\[[0-9a-fA-F:.]+\]|[^\s/:?#@\[\]]+)(:([0-9]{1,5}))?)(/[^\s?#]*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    throw std::invalid_argument("payment API URL " + quote_input(url) + ": expected http(s)://HOST[:PORT][/PREFIX]");
  }
  if (m[4].matched) {
    const int port = std::stoi(m[4].str());
    if (port < 1 || port > 65535) throw std::invalid_argument("payment API URL " + quote_input(url) + ": port must be 1-65535");
  }
  ApiUrl a{m[1].str(), m[5].str()};
  while (!a.prefix.empty() && a.prefix.back() == '/') a.prefix.pop_back();
  return a;
}

struct PaymentsApi::Impl {
  Impl(const ApiUrl& a, const PaymentsDialect& d) : client(a.origin), prefix(a.prefix), dialect(d) {}
  httplib::Client client;
  std::string prefix;
  PaymentsDialect dialect;
};

PaymentsApi::PaymentsApi(const std::string& base_url, std::chrono::milliseconds timeout, const PaymentsDialect& dialect)
    : impl_(std::make_unique<Impl>(parse_api_url(base_url), dialect)) {
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

PaymentAnswer answer_of(const httplib::Result& result, const PaymentsDialect& dialect) {
  PaymentAnswer a;
  if (!result) {
    a.transport_error = httplib::to_string(result.error());
    return a;
  }
  a.status = result->status;
  if (!dialect.served_by_header.empty()) a.served_by = result->get_header_value(dialect.served_by_header.c_str());
  a.replay = result->get_header_value("Idempotent-Replay") == "true";
  a.body = nlohmann::json::parse(result->body, nullptr, false);
  if (a.body.is_discarded()) a.body = nullptr;
  a.raw_body = result->body;
  return a;
}

}  // namespace

PaymentAnswer PaymentsApi::pay(const std::string& idempotency_key, const PaymentRequest& request) {
  const PaymentsDialect& d = impl_->dialect;
  httplib::Request req;
  req.method = d.method;
  req.path = impl_->prefix + d.path.render(request, idempotency_key, Escape::kUrl);
  if (!d.idempotency_header.empty()) req.headers.emplace(d.idempotency_header, idempotency_key);
  for (const auto& [name, value] : d.headers) req.headers.emplace(name, value.render(request, idempotency_key, Escape::kNone));
  req.body = d.body.render(request, idempotency_key, Escape::kJson);
  if (!req.body.empty() && !req.has_header("Content-Type")) req.headers.emplace("Content-Type", "application/json");
  return answer_of(impl_->client.send(req), d);
}

PaymentAnswer PaymentsApi::post_json(const std::string& path, const nlohmann::json& body) {
  return answer_of(impl_->client.Post(impl_->prefix + path, body.dump(), "application/json"), impl_->dialect);
}

nlohmann::json PaymentsApi::get_json(const std::string& path) {
  const auto result = impl_->client.Get(impl_->prefix + path);
  if (!result) throw std::runtime_error("GET " + path + ": " + httplib::to_string(result.error()));
  if (result->status != 200) {
    throw std::runtime_error("GET " + path + ": HTTP " + std::to_string(result->status) + ": " + result->body);
  }
  auto j = nlohmann::json::parse(result->body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("GET " + path + ": the answer is not JSON");
  return j;
}

}  // namespace injector::drill
