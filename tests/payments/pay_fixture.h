#pragma once
// Integration fixtures for the payment system: a real etcd on loopback
// (unique ports, data dir on tmpfs, killed and removed even on failure), a
// seeded ledger, and real paysvc/payrouter processes.

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"

namespace payments::testing {

using injector::testing::ChildProcess;

int free_port();  // a loopback TCP port nobody listens on right now

// A fresh directory under /dev/shm, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class EtcdCluster {
 public:
  explicit EtcdCluster(int members = 1);  // throws if it does not become healthy
  std::string endpoints() const;          // "http://127.0.0.1:P,..."
  const std::vector<std::string>& urls() const { return urls_; }
  const std::string& dir() const { return dir_.path(); }
  void signal(size_t member, int signo) const { members_.at(member)->signal(signo); }
  // True once every thread of the member is stopped (SIGSTOP is asynchronous).
  bool stopped(size_t member) const;

 private:
  TempDir dir_;
  std::vector<std::string> urls_;
  std::vector<std::unique_ptr<ChildProcess>> members_;
};

// Starts argv and waits for `marker` in its log; throws (with the log) on timeout.
std::unique_ptr<ChildProcess> start_and_wait(std::vector<std::string> argv, const std::string& log,
                                             const std::string& marker);
// Runs argv to completion; returns its exit code (throws after 60 s).
int run(std::vector<std::string> argv, const std::string& log);

struct Reply {
  int status = 0;  // 0 = no answer
  nlohmann::json body;
  httplib::Headers headers;
  std::string header(const std::string& name) const;
};
Reply http_get(const std::string& base, const std::string& path);
Reply http_post(const std::string& base, const std::string& path, const std::string& body,
                const httplib::Headers& headers = {});
Reply pay(const std::string& base, const std::string& key, int64_t from, int64_t to, int64_t amount);

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

// A seeded ledger with one paysvc per datacenter (hz, sh, sz; 12 units).
class PaymentsLab {
 public:
  PaymentsLab(int64_t accounts, int64_t balance_minor, int etcd_members = 1);
  ~PaymentsLab();
  EtcdCluster etcd;
  std::vector<std::string> dcs{"hz", "sh", "sz"};
  std::string url(const std::string& dc) const;
  // The DC owning each unit per GET /v1/units ("" = none).
  std::vector<std::string> owners() const;
  nlohmann::json snapshot() const;
  std::string log_path(const std::string& name) const { return etcd.dir() + "/" + name + ".log"; }
  int64_t accounts, balance_minor;

 private:
  void launch_service(const std::string& dc);  // does not wait
  std::vector<std::unique_ptr<ChildProcess>> services_;
  std::vector<std::string> urls_;
};

// Checks the snapshot's invariants with gtest assertions: the total is
// conserved, no balance is negative, and replaying the applied records from
// the seeded balances reproduces every balance.
void expect_ledger_consistent(const nlohmann::json& snapshot, int64_t accounts, int64_t balance_minor);

}  // namespace payments::testing
