// The HTTP probe over TLS against a loopback server with certificates from
// scripts/make-test-ca: a certificate the checker trusts is ok, one from an
// unknown CA fails (users' clients would refuse it too). Trust comes from
// OpenSSL's default store, pointed at the test CA with SSL_CERT_FILE.

#include <gtest/gtest.h>

#include <httplib.h>

#include <cstdlib>
#include <thread>

#include "injector/drill/probes.h"
#include "tests/injector/drill/probe_test_util.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector::drill;
using namespace injector::drill::testing;

// Sets an environment variable for a scope and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class HttpsServer {
 public:
  HttpsServer(const std::string& cert, const std::string& key) : server_(cert.c_str(), key.c_str()) {
    server_.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~HttpsServer() {
    server_.stop();
    thread_.join();
  }
  bool valid() const { return server_.is_valid() && port_ > 0; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(HttpsProbe, ATrustedCertificateIsOkAndAnUntrustedOneFails) {
  injector::testing::TempDir dir("probetls");
  injector::testing::ChildProcess make_ca({std::string(INJECTOR_SOURCE_DIR) + "/scripts/make-test-ca", dir.path()},
                                          dir.file("make-test-ca.log"));
  ASSERT_EQ(make_ca.wait_exit(std::chrono::seconds(60)), 0) << make_ca.log();
  HttpsServer server(dir.file("server.pem"), dir.file("server.key"));
  ASSERT_TRUE(server.valid());
  {
    ScopedEnv trust("SSL_CERT_FILE", dir.file("ca.pem"));
    const ProbeResult ok = run_probe_once(http_probe(server.url() + "/health"));
    EXPECT_EQ(ok.observed, Observed::kOk) << ok.detail;
  }
  {
    ScopedEnv trust("SSL_CERT_FILE", dir.file("rogue-ca.pem"));
    const ProbeResult r = run_probe_once(http_probe(server.url() + "/health"));
    EXPECT_EQ(r.observed, Observed::kFail) << r.detail;
    EXPECT_NE(r.detail.find("SSL"), std::string::npos) << r.detail;
  }
}

}  // namespace
