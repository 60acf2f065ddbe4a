#include "etcd_client.h"

#include <httplib.h>

#include <map>
#include <memory>
#include <sstream>

namespace payments {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// gRPC codes the gateway passes through: these say etcd refused the request.
bool definite_code(int code) {
  return code == 3 /*InvalidArgument*/ || code == 5 /*NotFound*/ || code == 6 /*AlreadyExists*/ ||
         code == 7 /*PermissionDenied*/ || code == 9 /*FailedPrecondition*/ || code == 11 /*OutOfRange*/;
}

httplib::Client& client_for(const std::string& endpoint) {
  // One keep-alive connection per endpoint per thread: httplib::Client
  // serializes its requests, and the HTTP server runs handlers on many threads.
  thread_local std::map<std::string, std::unique_ptr<httplib::Client>> clients;
  auto& c = clients[endpoint];
  if (!c) {
    c = std::make_unique<httplib::Client>(endpoint);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);  // else Nagle + delayed ACK cost ~40 ms per request
  }
  return *c;
}

// The first JSON document of a (possibly streamed) gateway answer.
json parse_answer(const std::string& body) {
  auto nl = body.find('\n');
  std::string first = nl == std::string::npos ? body : body.substr(0, nl);
  json j = json::parse(first, nullptr, false);
  if (j.is_discarded()) throw EtcdError("etcd: answer is not JSON", false);
  return j;
}

}  // namespace

EtcdClient::EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds deadline)
    : endpoints_(std::move(endpoints)), deadline_(deadline) {
  if (endpoints_.empty()) throw std::invalid_argument("etcd: no endpoint");
}

json EtcdClient::call(const std::string& path, const json& body, std::chrono::milliseconds deadline) {
  if (deadline.count() == 0) deadline = deadline_;
  const auto start = Clock::now();
  const std::string payload = body.dump();
  std::string last_error = "no endpoint tried";
  size_t first = preferred_.load();
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    auto left = deadline - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (left.count() <= 0) break;
    size_t idx = (first + i) % endpoints_.size();
    auto& cli = client_for(endpoints_[idx]);
    cli.set_connection_timeout(left);
    cli.set_read_timeout(left);
    cli.set_write_timeout(left);
    auto res = cli.Post(path, payload, "application/json");
    if (!res) {
      last_error = endpoints_[idx] + ": " + httplib::to_string(res.error());
      preferred_.store((idx + 1) % endpoints_.size());
      continue;
    }
    json answer = parse_answer(res->body);
    if (res->status == 200 && !answer.contains("error")) {
      preferred_.store(idx);
      return answer.contains("result") ? answer["result"] : answer;
    }
    const json& err = answer.contains("error") && answer["error"].is_object() ? answer["error"] : answer;
    int code = err.value("code", 0);
    std::string msg = endpoints_[idx] + ": " + err.value("message", "HTTP " + std::to_string(res->status));
    if (definite_code(code)) throw EtcdError(msg, true);
    last_error = msg;  // unavailable, no leader, timeout: another member may do
    preferred_.store((idx + 1) % endpoints_.size());
  }
  throw EtcdError("etcd: " + path + " failed within " + std::to_string(deadline.count()) + " ms (" +
                      last_error + ")",
                  false);
}

RangeResult EtcdClient::range(const std::string& key, const std::string& range_end, int64_t revision,
                              int64_t limit, std::chrono::milliseconds deadline) {
  try {
    return range_from_json(call("/v3/kv/range", range_request(key, range_end, revision, limit), deadline));
  } catch (const std::invalid_argument& e) {
    throw EtcdError(e.what(), false);
  }
}

RangeResult EtcdClient::range_prefix(const std::string& prefix, int64_t revision,
                                     std::chrono::milliseconds deadline, int64_t page_size) {
  const std::string end = prefix_end(prefix);
  RangeResult all;
  std::string from = prefix;
  for (;;) {
    RangeResult page = range(from, end, revision, page_size, deadline);
    if (revision == 0) revision = page.revision;  // later pages read the same revision
    all.revision = revision;
    for (auto& kv : page.kvs) all.kvs.push_back(std::move(kv));
    if (!page.more || all.kvs.empty()) break;
    from = all.kvs.back().key + std::string(1, '\0');
  }
  all.count = static_cast<int64_t>(all.kvs.size());
  return all;
}

TxnResult EtcdClient::txn(const Txn& t) {
  try {
    return txn_from_json(call("/v3/kv/txn", txn_to_json(t)));
  } catch (const std::invalid_argument& e) {
    throw EtcdError(e.what(), false);
  }
}

std::pair<int64_t, int64_t> EtcdClient::lease_grant(int64_t ttl_s) {
  json a = call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_s)}});
  int64_t id = json_int(a, "ID");
  if (id == 0) throw EtcdError("etcd: lease grant returned no ID: " + a.value("error", ""), false);
  return {id, json_int(a, "TTL")};
}

int64_t EtcdClient::lease_keepalive(int64_t id) {
  json a = call("/v3/lease/keepalive", json{{"ID", std::to_string(id)}});
  return json_int(a, "TTL");
}

void EtcdClient::lease_revoke(int64_t id) { call("/v3/lease/revoke", json{{"ID", std::to_string(id)}}); }

std::vector<std::string> parse_endpoints(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.rfind("http://", 0) != 0 || item.size() <= 7)
      throw std::invalid_argument("etcd endpoint '" + item + "' must look like http://HOST:PORT");
    while (!item.empty() && item.back() == '/') item.pop_back();
    out.push_back(item);
  }
  if (out.empty()) throw std::invalid_argument("no etcd endpoint given");
  return out;
}

}  // namespace payments
