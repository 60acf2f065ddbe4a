// The API over mutual TLS on the real daemon (--listen), driven by the CLI
// inside site a's namespace as an operator would: a client certificate
// signed by --client-ca is served and recorded as the fault's creator;
// no certificate, a certificate from another CA, or plain HTTP is refused
// at the handshake and changes nothing; the CLI refuses a daemon whose
// certificate does not verify against --ca. Certificates come from
// scripts/make-test-ca in the test's temporary directory.

#include <csignal>
#include <fstream>
#include <thread>

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;
// Site a's namespace is new: nothing else listens on its loopback.
constexpr const char* kPort = "18443";
const std::string kUrl = std::string("https://127.0.0.1:") + kPort;
constexpr const char* kSubject = "CN=ci-runner,O=injector-test";

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class TlsApi : public DaemonInLab {
 protected:
  void SetUp() override {
    DaemonInLab::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    run_checked({std::string(SOURCE_DIR) + "/scripts/make-test-ca", pki(), "--client-cn", "ci-runner",
                 "IP:" + ThreeSiteLab::v4('a')});
    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait_exit(std::chrono::seconds(10)), 0) << daemon_->log();
    start_daemon({"--listen", std::string("0.0.0.0:") + kPort, "--tls-cert", pki("server.pem"), "--tls-key",
                  pki("server.key"), "--client-ca", pki("ca.pem"), "--audit-log", audit_path(), "--audit-format",
                  "json"});
    // The TCP listener opens just after the Unix socket appears.
    ASSERT_TRUE(wait_for_listener(lab_->ns('a'), static_cast<std::uint16_t>(std::stoi(kPort)), std::chrono::seconds(5)))
        << daemon_->log();
  }

  std::string pki(const std::string& file = {}) const { return dir_ + "/pki" + (file.empty() ? "" : "/" + file); }
  std::string audit_path() const { return dir_ + "/audit.log"; }

  // `injector ARGS --daemon https://127.0.0.1:PORT --cert --key --ca` in site a.
  CommandResult cli(std::vector<std::string> args, const std::string& cert = "client", const std::string& ca = "ca") const {
    args.insert(args.begin(), INJECTOR_BIN);
    args.insert(args.end(), {"--daemon", kUrl, "--cert", pki(cert + ".pem"), "--key", pki(cert + ".key"), "--ca",
                             pki(ca + ".pem")});
    return lab_->exec('a', args);
  }
  std::size_t faults() const { return api("GET", "/v1/faults").body["faults"].size(); }
  std::vector<json> audit_records() const {
    std::vector<json> out;
    for (const auto& line : lines_of(audit_path())) out.push_back(json::parse(line, nullptr, false));
    return out;
  }
};

TEST_F(TlsApi, AValidClientCertificateIsServedAndRecordedAsTheFaultsCreator) {
  const auto applied = cli({"fault", "apply", "cut", "--dev", "eth0", "--to", ThreeSiteLab::v4_net('b'), "--output", "json"});
  ASSERT_EQ(applied.status, 0) << applied.out << daemon_->log();
  const json fault = json::parse(applied.out, nullptr, false);
  EXPECT_EQ(fault.value("created_by", ""), std::string("cert:") + kSubject) << applied.out;
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false)) << "the fault applied over TLS cuts real traffic";
  const std::string id = fault.value("id", "");

  const auto shown = cli({"fault", "get", id});
  EXPECT_NE(shown.out.find(std::string("created by: cert:") + kSubject), std::string::npos) << shown.out;
  const auto listed = cli({"fault", "list"});
  EXPECT_NE(listed.out.find(std::string("cert:") + kSubject), std::string::npos) << listed.out;
  // The same daemon over its Unix socket records the caller's uid.
  const std::string local = apply_cut({ThreeSiteLab::v4_net('c')});
  EXPECT_EQ(api("GET", "/v1/faults/" + local).body.value("created_by", ""), "uid:0");

  const auto reverted = cli({"fault", "revert", "--all"});
  EXPECT_EQ(reverted.status, 0) << reverted.out;
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);

  bool audited = false;
  for (const auto& rec : audit_records()) {
    if (rec.value("method", "") != "POST" || rec.value("status", 0) != 201 || !rec.contains("cert")) continue;
    audited = true;
    EXPECT_EQ(rec["cert"], kSubject) << rec.dump();
    EXPECT_EQ(rec.value("remote", "").rfind("127.0.0.1:", 0), 0u) << rec.dump();
    EXPECT_FALSE(rec.contains("uid")) << "a TLS caller has no uid: " << rec.dump();
  }
  EXPECT_TRUE(audited) << "the apply over TLS is in the audit log with its subject";
}

// The operator in site b cuts site a off from b's whole network, its own
// address included: the API keeps answering over its listen port (both
// directions are spared), ARP still resolves, and the rest of the traffic
// between the same two hosts is cut.
TEST_F(TlsApi, ACutCoveringTheControlClientKeepsTheApiAnsweringAndArpResolving) {
  const std::string remote = "https://" + ThreeSiteLab::v4('a') + ":" + kPort;
  auto from_b = [&](std::vector<std::string> args) {
    args.insert(args.begin(), INJECTOR_BIN);
    args.insert(args.end(), {"--daemon", remote, "--cert", pki("client.pem"), "--key", pki("client.key"), "--ca",
                             pki("ca.pem")});
    return lab_->exec('b', args);
  };
  const auto applied = from_b({"fault", "apply", "cut", "--dev", "eth0", "--to", ThreeSiteLab::v4_net('b'), "--output", "json"});
  ASSERT_EQ(applied.status, 0) << applied.out << daemon_->log();
  const json fault = json::parse(applied.out, nullptr, false);
  EXPECT_NE(fault.value("excluded", json::array()).dump().find(kPort), std::string::npos) << applied.out;
  EXPECT_TRUE(udp_none('a', 'b', false, 'b', true)) << "other traffic between the same hosts is cut (b's IPv6 is not)";

  lab_->exec('a', {"ip", "neigh", "flush", "dev", "eth0"});
  const auto listed = from_b({"fault", "list"});
  EXPECT_EQ(listed.status, 0) << "the API answers across the cut: " << listed.out;
  const auto neighbours = lab_->exec('a', {"ip", "neigh", "show", "dev", "eth0"});
  EXPECT_NE(neighbours.out.find("lladdr"), std::string::npos) << "ARP resolved again: " << neighbours.out;

  const auto reverted = from_b({"fault", "revert", fault.value("id", "")});
  EXPECT_EQ(reverted.status, 0) << reverted.out;
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(TlsApi, NoCertificateARogueCertificateOrPlainHttpIsRefusedAndChangesNothing) {
  const std::string body = cut_body({ThreeSiteLab::v4_net('b')}).dump();
  const auto no_cert = lab_->exec('a', {"curl", "-sS", "--max-time", "5", "--cacert", pki("ca.pem"), "-X", "POST",
                                        "-d", body, kUrl + "/v1/faults"});
  EXPECT_NE(no_cert.status, 0) << no_cert.out;
  EXPECT_EQ(no_cert.out.find("\"id\""), std::string::npos) << no_cert.out;

  const auto rogue = cli({"fault", "apply", "cut", "--dev", "eth0", "--to", ThreeSiteLab::v4_net('b')}, "rogue-client");
  EXPECT_EQ(rogue.status, 9) << rogue.out;
  EXPECT_NE(rogue.out.find("refused our client certificate"), std::string::npos) << rogue.out;

  const auto plain = lab_->exec('a', {"curl", "-sS", "--max-time", "5", "-X", "POST", "-d", body,
                                      std::string("http://127.0.0.1:") + kPort + "/v1/faults"});
  EXPECT_NE(plain.status, 0) << plain.out;
  EXPECT_EQ(plain.out.find("\"id\""), std::string::npos) << plain.out;

  EXPECT_EQ(faults(), 0u);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
  EXPECT_EQ(udp('a', 'b', false), 20);
  int refusals = 0;
  for (const auto& rec : audit_records()) {
    if (rec.value("error", "") != "tls_handshake") continue;
    ++refusals;
    EXPECT_EQ(rec.value("remote", "").rfind("127.0.0.1:", 0), 0u) << rec.dump();
    EXPECT_FALSE(rec.contains("method")) << rec.dump();
  }
  EXPECT_GE(refusals, 3) << "each refused handshake is audited";
  EXPECT_NE(daemon_->log().find("refused TLS client 127.0.0.1:"), std::string::npos) << daemon_->log();
}

TEST_F(TlsApi, TheCliRefusesADaemonWhoseCertificateDoesNotVerify) {
  const std::size_t before = audit_records().size();
  const auto wrong_ca = cli({"fault", "list"}, "client", "rogue-ca");
  EXPECT_EQ(wrong_ca.status, 10) << wrong_ca.out;
  EXPECT_NE(wrong_ca.out.find("is not trusted"), std::string::npos) << wrong_ca.out;
  const auto records = audit_records();
  for (std::size_t i = before; i < records.size(); ++i) {
    EXPECT_FALSE(records[i].contains("method")) << "no request was sent: " << records[i].dump();
  }
  // The server certificate names localhost too (a DNS SAN): dialled by name, it verifies.
  const auto by_name = lab_->exec('a', {INJECTOR_BIN, "fault", "list", "--daemon", std::string("https://localhost:") + kPort,
                                        "--cert", pki("client.pem"), "--key", pki("client.key"), "--ca", pki("ca.pem")});
  EXPECT_EQ(by_name.status, 0) << by_name.out;
}

TEST_F(TlsApi, AHeldFaultIsRenewedOverTls) {
  std::vector<std::string> argv{"ip", "netns", "exec", lab_->ns('a'), INJECTOR_BIN, "fault", "apply", "--daemon", kUrl,
                                "--cert", pki("client.pem"), "--key", pki("client.key"), "--ca", pki("ca.pem"),
                                "cut", "--dev", "eth0", "--to", ThreeSiteLab::v4_net('b'), "--hold", "--lease", "500ms"};
  ChildProcess holder(argv, dir_ + "/hold.log");
  for (int i = 0; i < 50 && faults() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(faults(), 1u) << holder.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_EQ(faults(), 1u) << "four leases long, kept alive by renewals over TLS: " << holder.log();
  EXPECT_EQ(holder.log().find("could not renew"), std::string::npos) << holder.log();
  holder.signal(SIGINT);
  EXPECT_EQ(holder.wait_exit(std::chrono::seconds(5)), 0) << holder.log();
  EXPECT_EQ(faults(), 0u);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

TEST_F(TlsApi, ListenWithoutAllItsTlsFlagsStopsTheDaemonBeforeItTouchesAnything) {
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait_exit(std::chrono::seconds(10)), 0) << daemon_->log();
  ChildProcess missing({"ip", "netns", "exec", lab_->ns('a'), INJECTORD_BIN, "--socket", socket_path(), "--state-dir",
                        dir_ + "/state", "--listen", std::string("127.0.0.1:") + kPort, "--tls-cert", pki("server.pem"),
                        "--tls-key", pki("server.key")},
                       dir_ + "/missing.log");
  EXPECT_EQ(missing.wait_exit(std::chrono::seconds(10)), 1) << missing.log();
  EXPECT_NE(missing.log().find("--listen needs --client-ca"), std::string::npos) << missing.log();
  EXPECT_FALSE(std::filesystem::exists(socket_path())) << "nothing served";
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

}  // namespace
}  // namespace injector::testing
