#include "payments/pay_fixture.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

namespace payments::testing {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind port 0");
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TempDir::TempDir() {
  char tmpl[] = "/dev/shm/paytest-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::unique_ptr<ChildProcess> start_and_wait(std::vector<std::string> argv, const std::string& log,
                                             const std::string& marker) {
  auto p = std::make_unique<ChildProcess>(std::move(argv), log);
  if (!wait_until([&] { return p->log().find(marker) != std::string::npos; }, std::chrono::seconds(15)))
    throw std::runtime_error("'" + marker + "' not seen; log:\n" + p->log());
  return p;
}

int run(std::vector<std::string> argv, const std::string& log) {
  ChildProcess p(std::move(argv), log);
  auto rc = p.wait_exit(std::chrono::seconds(60));
  if (!rc) throw std::runtime_error("timed out; log:\n" + p.log());
  return *rc;
}

EtcdCluster::EtcdCluster(int members) {
  std::vector<int> client, peer;
  std::string initial;
  for (int i = 0; i < members; ++i) {
    client.push_back(free_port());
    peer.push_back(free_port());
    initial += (i ? "," : "") + ("m" + std::to_string(i)) + "=http://127.0.0.1:" + std::to_string(peer.back());
  }
  for (int i = 0; i < members; ++i) {
    std::string name = "m" + std::to_string(i), c = "http://127.0.0.1:" + std::to_string(client[i]),
                p = "http://127.0.0.1:" + std::to_string(peer[i]);
    urls_.push_back(c);
    members_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{ETCD_BIN, "--name", name, "--data-dir", dir() + "/" + name, "--listen-client-urls", c,
                                 "--advertise-client-urls", c, "--listen-peer-urls", p,
                                 "--initial-advertise-peer-urls", p, "--initial-cluster", initial,
                                 "--initial-cluster-state", "new", "--heartbeat-interval", "50",
                                 "--election-timeout", "500", "--pre-vote", "--logger", "zap", "--log-level", "warn"},
        dir() + "/" + name + ".log"));
  }
  for (size_t i = 0; i < urls_.size(); ++i) {
    bool ok = wait_until([&] {
      httplib::Client c(urls_[i]);
      c.set_connection_timeout(std::chrono::milliseconds(200));
      auto r = c.Get("/health");
      return r && r->status == 200 && r->body.find("\"true\"") != std::string::npos;
    }, std::chrono::seconds(15));
    if (!ok) throw std::runtime_error("etcd member " + std::to_string(i) + " not healthy; log:\n" + members_[i]->log());
  }
}

bool EtcdCluster::stopped(size_t member) const {
  std::string dir = "/proc/" + std::to_string(members_.at(member)->pid()) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(dir)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'T') return false;
  }
  return true;
}

std::string EtcdCluster::endpoints() const {
  std::string out;
  for (const auto& u : urls_) out += (out.empty() ? "" : ",") + u;
  return out;
}

std::string Reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

namespace {

Reply to_reply(const httplib::Result& r) {
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.headers = r->headers;
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

httplib::Client client(const std::string& base) {
  httplib::Client c(base);
  c.set_connection_timeout(std::chrono::seconds(2));
  c.set_read_timeout(std::chrono::seconds(10));
  return c;
}

}  // namespace

Reply http_get(const std::string& base, const std::string& path) { return to_reply(client(base).Get(path)); }

Reply http_post(const std::string& base, const std::string& path, const std::string& body,
                const httplib::Headers& headers) {
  return to_reply(client(base).Post(path, headers, body, "application/json"));
}

Reply pay(const std::string& base, const std::string& key, int64_t from, int64_t to, int64_t amount) {
  json body{{"from", from}, {"to", to}, {"amount_minor", amount}, {"currency", "CNY"}};
  return http_post(base, "/v1/payments", body.dump(), {{"Idempotency-Key", key}});
}

PaymentsLab::PaymentsLab(int64_t n_accounts, int64_t balance, int etcd_members)
    : etcd(etcd_members), accounts(n_accounts), balance_minor(balance) {
  int rc = run({PAYSVC_BIN, "seed", "--etcd", etcd.endpoints(), "--accounts", std::to_string(accounts),
                "--balance-minor", std::to_string(balance_minor)},
               log_path("seed"));
  if (rc != 0) throw std::runtime_error("seed failed");
  // All three at once: a takeover claims a unit whose home has not started
  // within its grace period (3 x TTL), which a slow sequential start could exceed.
  for (const auto& dc : dcs) launch_service(dc);
  for (size_t i = 0; i < dcs.size(); ++i) {
    const std::string marker = "paysvc: serving dc=" + dcs[i];
    if (!wait_until([&] { return services_[i]->log().find(marker) != std::string::npos; }, std::chrono::seconds(15)))
      throw std::runtime_error(marker + " not seen; log:\n" + services_[i]->log());
  }
  // Every unit owned by its home before a test starts.
  bool ready = wait_until([&] {
    auto o = owners();
    for (size_t u = 0; u < o.size(); ++u)
      if (o[u] != dcs[u % 3]) return false;
    return o.size() == 12;
  }, std::chrono::seconds(10));
  if (!ready) throw std::runtime_error("units not all owned by their homes");
  // ...and every service has seen them owned: a takeover claims a lapsed unit
  // at once only if it saw it owned before (else after its start-up grace).
  const int64_t rev = http_get(urls_.front(), "/v1/units").body.value("revision", int64_t{0});
  for (const auto& u : urls_)
    if (!wait_until([&] { return http_get(u, "/v1/health").body.value("units_revision", int64_t{0}) >= rev; },
                    std::chrono::seconds(10)))
      throw std::runtime_error(u + " has not seen the owners");
}

PaymentsLab::~PaymentsLab() = default;

void PaymentsLab::launch_service(const std::string& dc) {
  std::string listen = "127.0.0.1:" + std::to_string(free_port());
  services_.push_back(std::make_unique<ChildProcess>(
      std::vector<std::string>{PAYSVC_BIN, "serve", "--dc", dc, "--listen", listen, "--etcd", etcd.endpoints()},
      log_path("paysvc-" + dc)));
  urls_.push_back("http://" + listen);
}

std::string PaymentsLab::url(const std::string& dc) const {
  for (size_t i = 0; i < dcs.size(); ++i)
    if (dcs[i] == dc) return urls_.at(i);
  throw std::invalid_argument("no service " + dc);
}

std::vector<std::string> PaymentsLab::owners() const {
  Reply r = http_get(urls_.front(), "/v1/units");
  std::vector<std::string> out;
  if (r.status != 200) return out;
  for (const auto& u : r.body["units"]) out.push_back(u["owner"].is_string() ? u["owner"].get<std::string>() : "");
  return out;
}

json PaymentsLab::snapshot() const {
  Reply r = http_get(urls_.front(), "/v1/ledger/snapshot");
  if (r.status != 200) throw std::runtime_error("snapshot: HTTP " + std::to_string(r.status));
  return r.body;
}

void expect_ledger_consistent(const json& snap, int64_t accounts, int64_t balance_minor) {
  ASSERT_EQ(snap["accounts"].size(), static_cast<size_t>(accounts));
  std::map<int64_t, int64_t> replayed;
  for (int64_t i = 0; i < accounts; ++i) replayed[i] = balance_minor;
  for (const auto& p : snap["payments"]) {
    if (p["status"] != "applied") continue;
    replayed[p["from"].get<int64_t>()] -= p["amount_minor"].get<int64_t>();
    replayed[p["to"].get<int64_t>()] += p["amount_minor"].get<int64_t>();
  }
  int64_t total = 0;
  for (const auto& a : snap["accounts"]) {
    int64_t id = a["id"], bal = a["balance_minor"];
    total += bal;
    EXPECT_GE(bal, 0) << "account " << id;
    EXPECT_EQ(bal, replayed[id]) << "account " << id << ": replaying the records gives another balance";
  }
  EXPECT_EQ(total, accounts * balance_minor) << "money not conserved";
  EXPECT_EQ(snap["total_minor"].get<int64_t>(), accounts * balance_minor);
}

}  // namespace payments::testing
