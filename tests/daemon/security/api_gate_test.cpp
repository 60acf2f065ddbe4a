// The gate in front of the real server and router (over a fake kernel): a
// peer is judged by its SO_PEERCRED credentials, a refused one gets 403 and
// changes nothing, and every call, refused ones too, reaches the audit log.

#include "daemon/security/api_gate.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "injector/cli.h"
#include "injector/http_client.h"
#include "tests/injector/served_daemon.h"

namespace {

using injector::http::PeerCredentials;
using injector::security::AuditFormat;
using injector::security::AuditLog;
using nlohmann::json;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class GatedDaemon : public injector::testing::ServedDaemon {
 protected:
  // The policy plays any peer: it sees the real credentials and answers `allow`.
  injector::http::Response serve(const injector::http::Request& r) override {
    return gate.handle(r);
  }
  bool judge(const PeerCredentials& peer) {
    std::lock_guard lock(mutex);
    seen.push_back(peer);
    return allow;
  }
  void set_allow(bool value) {
    std::lock_guard lock(mutex);
    allow = value;
  }
  injector::client::HttpResult call(const std::string& method, const std::string& target, const std::string& body = {}) {
    return injector::client::http_request(injector::client::Endpoint::parse(daemon()), method, target, body);
  }

  std::mutex mutex;
  bool allow = true;
  std::vector<PeerCredentials> seen;
  injector::testing::TempDir logs{"audittest"};
  AuditLog audit{logs.file("audit.log"), AuditFormat::json};
  injector::security::ApiGate gate{[this](const injector::http::Request& r) { return router.handle(r); },
                                   [this](const PeerCredentials& p) { return judge(p); }, &audit};
};

TEST_F(GatedDaemon, ThePolicySeesTheCallersRealCredentials) {
  ASSERT_EQ(call("GET", "/v1/health").status, 200);
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].uid, ::getuid());
  EXPECT_EQ(seen[0].gid, ::getgid());
  EXPECT_EQ(seen[0].pid, ::getpid()) << "the client runs in this process";
}

TEST_F(GatedDaemon, ARefusedPeerGets403NamingItsUidAndChangesNothing) {
  set_allow(false);
  const auto r = call("POST", "/v1/faults",
                      R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}}})");
  EXPECT_EQ(r.status, 403);
  const json body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body["error"].value("code", ""), "forbidden") << r.body;
  EXPECT_EQ(body["error"].value("field", ""), "peer") << r.body;
  EXPECT_NE(body["error"].value("message", "").find("uid " + std::to_string(::getuid())), std::string::npos) << r.body;
  EXPECT_TRUE(engine.list().empty());
  EXPECT_TRUE(tc.our_roots.empty()) << "a refused apply must not reach the kernel";
}

TEST_F(GatedDaemon, TheCliExits9WhenRefused) {
  set_allow(false);
  const auto r = fault({"apply", "cut", "--dev", "eth0", "--to", "10.0.0.0/8"});
  EXPECT_EQ(r.rc, injector::cli::kForbidden);
  EXPECT_EQ(r.rc, 9);
  EXPECT_NE(r.err.find("uid " + std::to_string(::getuid())), std::string::npos) << r.err;
  EXPECT_EQ(fault({"list"}).rc, 9);
}

TEST_F(GatedDaemon, EveryCallIsAuditedWithWhoWhatAndResult) {
  const auto applied = call("POST", "/v1/faults",
                            R"({"device": "eth0", "match": {"to": ["10.0.0.0/8", "fd00::/64"]},
                                "impairments": {"cut": {}}})");
  ASSERT_EQ(applied.status, 201) << applied.body;
  const std::string id = json::parse(applied.body)["id"];
  ASSERT_EQ(call("GET", "/v1/faults").status, 200);
  ASSERT_EQ(call("DELETE", "/v1/faults/" + id).status, 200);
  set_allow(false);
  ASSERT_EQ(call("DELETE", "/v1/faults").status, 403);

  const auto lines = lines_of(logs.file("audit.log"));
  ASSERT_EQ(lines.size(), 4u);
  std::vector<json> records;
  for (const auto& line : lines) records.push_back(json::parse(line));
  for (const auto& rec : records) {
    EXPECT_EQ(rec["uid"], ::getuid());
    EXPECT_EQ(rec["pid"], ::getpid());
  }
  EXPECT_EQ(records[0]["method"], "POST");
  EXPECT_EQ(records[0]["device"], "eth0");
  EXPECT_EQ(records[0]["targets"], 2);
  EXPECT_EQ(records[0]["impairments"], json::array({"cut"}));
  EXPECT_EQ(records[0]["status"], 201);
  EXPECT_EQ(records[0]["fault"], id);
  EXPECT_EQ(records[1]["path"], "/v1/faults");
  EXPECT_EQ(records[1]["status"], 200);
  EXPECT_EQ(records[2]["fault"], id);
  EXPECT_EQ(records[2]["reverted"], json::array({id}));
  EXPECT_EQ(records[3]["status"], 403);
  EXPECT_EQ(records[3]["error"], "forbidden");
}

TEST(ApiGate, APolicyThatCannotDecideRefusesAndAFailingHandlerIsStillAudited) {
  injector::testing::TempDir dir{"gatetest"};
  AuditLog audit(dir.file("audit.log"), AuditFormat::text);
  bool reached = false;
  const injector::security::ApiGate undecided(
      [&](const injector::http::Request&) {
        reached = true;
        return injector::http::Response{};
      },
      [](const PeerCredentials&) -> bool { throw std::runtime_error("NSS is down"); }, &audit);
  EXPECT_EQ(undecided.handle({"GET", "/v1/health", "", {1, 1000, 1000}}).status, 403);
  EXPECT_FALSE(reached) << "failing open would hand out root's powers";

  const injector::security::ApiGate failing(
      [](const injector::http::Request&) -> injector::http::Response { throw std::runtime_error("boom"); },
      [](const PeerCredentials&) { return true; }, &audit);
  const auto r = failing.handle({"GET", "/v1/health", "", {1, 0, 0}});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "internal");
  const auto lines = lines_of(dir.file("audit.log"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" status=403 error=forbidden"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" status=500 error=internal"), std::string::npos) << lines[1];
}

TEST(SocketGroup, TheSocketFileIsGroupOwnedByTheAllowedGroupWithMode0660) {
  injector::testing::TempDir dir{"socktest"};
  boost::asio::io_context io;
  injector::http::ServerOptions options;
  options.socket_path = dir.file("g.sock");
  // Root may give the file any group; anyone else only one of its own.
  const gid_t group = ::geteuid() == 0 ? 65534 : ::getegid();
  options.group = group;
  injector::http::UnixHttpServer server(io, options, [](const injector::http::Request&) {
    return injector::http::Response{};
  });
  struct stat st {};
  ASSERT_EQ(::stat(options.socket_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, group);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_TRUE(injector::http::socket_in_use(options.socket_path));
  server.stop();
  EXPECT_FALSE(injector::http::socket_in_use(options.socket_path));
}

// Over TLS the handshake already verified the certificate against
// --client-ca: that is the authorization, and the uid policy is not asked.
TEST(ApiGateTls, ACertificateCallerIsServedWithoutAskingTheUidPolicy) {
  int asked = 0;
  const injector::security::ApiGate gate(
      [](const injector::http::Request&) { return injector::http::Response{200, "{}"}; },
      [&asked](const PeerCredentials&) {
        ++asked;
        return false;
      },
      nullptr);
  injector::http::Request req{"GET", "/v1/health", "", {}};
  req.peer.certificate_subject = "CN=ci-runner";
  EXPECT_EQ(gate.handle(req).status, 200);
  EXPECT_EQ(asked, 0);
  req.peer.certificate_subject.reset();
  EXPECT_EQ(gate.handle(req).status, 403) << "no subject, no uid: refused";
  EXPECT_EQ(asked, 1);
}

}  // namespace
