#include "service_http.h"

#include <spdlog/spdlog.h>

#include <functional>

namespace payments {

using nlohmann::json;

void write_answer(httplib::Response& res, const Answer& a) {
  res.status = a.status;
  if (a.retry_after > 0) res.set_header("Retry-After", std::to_string(a.retry_after));
  if (a.replay) res.set_header("Idempotent-Replay", "true");
  res.set_content(a.body.dump(), "application/json");
}

namespace {

// Runs a handler; etcd trouble becomes 503 "unknown" instead of a stall or a 500.
void guarded(httplib::Response& res, const std::function<Answer()>& f) {
  try {
    write_answer(res, f());
  } catch (const EtcdError& e) {
    write_answer(res, Answer{503, json{{"error", "unknown"}, {"detail", e.what()}}, false, 1});
  } catch (const std::exception& e) {
    write_answer(res, Answer{500, json{{"error", "internal"}, {"detail", e.what()}}, false, 0});
  }
}

Answer bad_request(const std::string& why) { return Answer{400, json{{"error", "bad_request"}, {"detail", why}}}; }

}  // namespace

void install_service_routes(httplib::Server& server, Ledger& ledger, Ownership& ownership, const PayConfig& config,
                            const std::string& dc) {
  server.set_post_routing_handler([dc](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Served-By", dc);
  });
  server.Post("/v1/payments", [&ledger, &config](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&]() -> Answer {
      std::string key = req.get_header_value("Idempotency-Key");
      if (std::string why = check_idempotency_key(key); !why.empty()) return bad_request(why);
      auto parsed = parse_payment(req.body, config);
      if (auto* why = std::get_if<std::string>(&parsed)) return bad_request(*why);
      return ledger.pay(key, std::get<PaymentRequest>(parsed));
    });
  });
  server.Get(R"(/v1/payments/([A-Za-z0-9._:-]{1,128}))", [&ledger](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] { return ledger.get_payment(req.matches[1]); });
  });
  server.Get(R"(/v1/accounts/(\d{1,8}))", [&ledger](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] { return ledger.get_account(std::stoll(req.matches[1])); });
  });
  server.Get("/v1/units", [&ledger](const httplib::Request&, httplib::Response& res) {
    guarded(res, [&] { return ledger.units(); });
  });
  server.Get("/v1/ledger/snapshot", [&ledger](const httplib::Request&, httplib::Response& res) {
    guarded(res, [&] { return ledger.snapshot(); });
  });
  server.Post("/v1/units/failback", [&ownership](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&]() -> Answer {
      int unit = -1;
      if (!req.body.empty()) {
        json j = json::parse(req.body, nullptr, false);
        if (!j.is_object()) return bad_request("body must be a JSON object, e.g. {\"unit\": 3}");
        if (j.contains("unit")) {
          if (!j["unit"].is_number_integer()) return bad_request("unit must be an integer");
          unit = j["unit"].get<int>();
        }
      }
      try {
        return Answer{200, ownership.failback(unit)};
      } catch (const std::invalid_argument& e) {
        return bad_request(e.what());
      }
    });
  });
  server.Get("/v1/health", [&ownership, &ledger, dc](const httplib::Request&, httplib::Response& res) {
    bool lease = ownership.has_lease();
    const auto commits = ledger.commit_counts();
    write_answer(res, Answer{200, json{{"dc", dc},
                                       {"lease", lease},
                                       {"units", ownership.held_units()},
                                       {"units_revision", ownership.units_revision()},
                                       {"writes", commits.writes},
                                       {"payments_written", commits.payments}}});
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty())
      res.set_content(json{{"error", "http_" + std::to_string(res.status)}}.dump(), "application/json");
  });
}

std::pair<std::string, int> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw std::invalid_argument("must be ADDR:PORT");
  std::string addr = text.substr(0, colon), port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("port must be a number 0..65535");
  int p = std::stoi(port);
  if (p > 65535) throw std::invalid_argument("port must be a number 0..65535");
  return {addr, p};
}

}  // namespace payments
