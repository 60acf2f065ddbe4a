#include "router.h"

#include "client_pool.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <memory>

namespace payments {

using nlohmann::json;

namespace {

void own_answer(httplib::Response& res, int status, const json& body, int retry_after = 0) {
  res.status = status;
  res.set_header("X-Served-By", "router");
  if (retry_after > 0) res.set_header("Retry-After", std::to_string(retry_after));
  res.set_content(body.dump(), "application/json");
}

// Copies the service's answer, headers that matter included.
void pass_through(httplib::Response& res, const httplib::Response& from, const std::string& dc) {
  res.status = from.status;
  for (const char* h : {"X-Served-By", "Retry-After", "Idempotent-Replay"})
    if (from.has_header(h)) res.set_header(h, from.get_header_value(h));
  res.set_header("X-Routed-To", dc);
  res.set_content(from.body, from.get_header_value("Content-Type").empty() ? "application/json"
                                                                              : from.get_header_value("Content-Type"));
}

void forward_payment(const httplib::Request& req, httplib::Response& res, const UnitMap& map,
                     const PayConfig& config, const RouterOptions& opt) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("from") || !body["from"].is_number_integer() || body["from"] < 0)
    return own_answer(res, 400, {{"error", "bad_request"}, {"detail", "from must be an account id"}});
  int unit = config.unit_of(body["from"].get<int64_t>());
  std::string dc = map.owner(unit);
  if (dc.empty())
    return own_answer(res, 503, {{"error", "no_owner"}, {"detail", "unit " + std::to_string(unit) + " has no owner"}}, 1);
  auto svc = opt.services.find(dc);
  if (svc == opt.services.end())
    return own_answer(res, 502, {{"error", "no_route"}, {"detail", "no --service for " + dc}});
  auto lease = client_pool(svc->second).take();
  httplib::Client& cli = *lease;
  cli.set_connection_timeout(opt.deadline);
  cli.set_read_timeout(opt.forward_timeout);
  cli.set_write_timeout(opt.deadline);
  httplib::Headers headers;
  if (req.has_header("Idempotency-Key")) headers.emplace("Idempotency-Key", req.get_header_value("Idempotency-Key"));
  auto r = cli.Post("/v1/payments", headers, req.body, "application/json");
  if (!r) {
    // Sent or not, we do not know: the client retries with the same key.
    res.set_header("X-Routed-To", dc);
    return own_answer(res, 504, {{"error", "unknown"}, {"detail", dc + ": " + httplib::to_string(r.error())}}, 1);
  }
  pass_through(res, *r, dc);
}

// GETs are safe to try on one service after another.
void forward_get(const httplib::Request& req, httplib::Response& res, const RouterOptions& opt) {
  static std::atomic<size_t> preferred{0};
  std::vector<std::pair<std::string, std::string>> svcs(opt.services.begin(), opt.services.end());
  size_t first = preferred.load();
  std::string last_error = "no service";
  for (size_t i = 0; i < svcs.size(); ++i) {
    size_t idx = (first + i) % svcs.size();
    auto lease = client_pool(svcs[idx].second).take();
    httplib::Client& cli = *lease;
    cli.set_connection_timeout(opt.deadline);
    // A snapshot of a big ledger takes seconds to read and send.
    cli.set_read_timeout(req.path == "/v1/ledger/snapshot" ? std::max(opt.forward_timeout, std::chrono::milliseconds(30000))
                                                           : opt.forward_timeout);
    auto r = cli.Get(req.path);
    if (r && r->status < 500) {
      preferred = idx;
      return pass_through(res, *r, svcs[idx].first);
    }
    last_error = svcs[idx].first + ": " + (r ? "HTTP " + std::to_string(r->status) : httplib::to_string(r.error()));
  }
  own_answer(res, 503, {{"error", "unavailable"}, {"detail", last_error}}, 1);
}

}  // namespace

void install_router_routes(httplib::Server& server, const UnitMap& map, const PayConfig& config,
                           const RouterOptions& opt) {
  server.Post("/v1/payments", [&](const httplib::Request& req, httplib::Response& res) {
    forward_payment(req, res, map, config, opt);
  });
  auto get = [&](const httplib::Request& req, httplib::Response& res) { forward_get(req, res, opt); };
  server.Get(R"(/v1/payments/[A-Za-z0-9._:-]{1,128})", get);
  server.Get(R"(/v1/accounts/\d{1,8})", get);
  server.Get("/v1/units", get);
  server.Get("/v1/ledger/snapshot", get);
  server.Get("/v1/health", [&](const httplib::Request&, httplib::Response& res) {
    own_answer(res, 200, {{"router", true}, {"revision", map.revision()}, {"owners", map.owners()}});
  });
}

std::pair<std::string, std::string> parse_service(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw std::invalid_argument("'" + text + "' must be DC=http://HOST:PORT");
  std::string url = text.substr(eq + 1);
  if (url.rfind("http://", 0) != 0 || url.size() <= 7)
    throw std::invalid_argument("'" + text + "' must be DC=http://HOST:PORT");
  while (url.back() == '/') url.pop_back();
  return {text.substr(0, eq), url};
}

}  // namespace payments
