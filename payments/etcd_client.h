#pragma once
// A client of etcd's v3 JSON gateway (POST /v3/...), over cpp-httplib.
// Every request has a deadline: a stranded request (no quorum, an election,
// a cut link) fails after it rather than stalling the caller. When several
// endpoints are given, a failed one is skipped for the next within the same
// deadline. Thread-safe: each thread keeps its own keep-alive connections.

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "etcd_codec.h"

namespace payments {

class EtcdError : public std::runtime_error {
 public:
  // definite: etcd refused the request (it did not and will not apply it).
  // Otherwise the outcome is unknown (timeout, connection lost, no leader).
  EtcdError(const std::string& what, bool definite) : std::runtime_error(what), definite_(definite) {}
  bool definite() const { return definite_; }

 private:
  bool definite_;
};

class EtcdClient {
 public:
  EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds deadline);

  // POSTs body to path (e.g. "/v3/kv/range"); returns the parsed answer.
  // deadline 0 = the client's default. Throws EtcdError.
  nlohmann::json call(const std::string& path, const nlohmann::json& body,
                      std::chrono::milliseconds deadline = std::chrono::milliseconds(0));

  RangeResult range(const std::string& key, const std::string& range_end = {}, int64_t revision = 0,
                    int64_t limit = 0, std::chrono::milliseconds deadline = std::chrono::milliseconds(0));
  // Every key under prefix at one revision (0 = now), fetched in pages.
  RangeResult range_prefix(const std::string& prefix, int64_t revision = 0,
                           std::chrono::milliseconds deadline = std::chrono::milliseconds(0),
                           int64_t page = 10000);  // a 2000-key page costs etcd ~80 ms
  TxnResult txn(const Txn& txn);

  // Returns {lease id, granted TTL in seconds} (etcd may raise the TTL to its minimum).
  std::pair<int64_t, int64_t> lease_grant(int64_t ttl_s);
  // The remaining TTL; 0 means the lease no longer exists.
  int64_t lease_keepalive(int64_t id);
  void lease_revoke(int64_t id);

  std::chrono::milliseconds deadline() const { return deadline_; }
  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  std::vector<std::string> endpoints_;
  std::chrono::milliseconds deadline_;
  std::atomic<size_t> preferred_{0};  // the endpoint that answered last
};

// "http://a:2379,http://b:2379" -> endpoints; throws std::invalid_argument.
std::vector<std::string> parse_endpoints(const std::string& list);

}  // namespace payments
