// The TLS side's pieces that need no network: which flags --listen needs,
// the subject a certificate caller is known by, and that an unusable file
// is refused naming its flag.
#include "daemon/http/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <stdexcept>

#include "daemon/http/tls_server.h"
#include "tests/support/temp_dir.h"

namespace {

using injector::http::TlsFiles;
using injector::http::tls_listen_config;

std::string message_of(const std::string& listen, const TlsFiles& files) {
  try {
    tls_listen_config(listen, files);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(TlsListenConfig, NoFlagsMeansNoTcpListener) { EXPECT_FALSE(tls_listen_config("", {}).has_value()); }

TEST(TlsListenConfig, ListenNeedsEveryTlsFlagAndNamesTheMissingOne) {
  const TlsFiles all{"s.pem", "s.key", "ca.pem"};
  const auto config = tls_listen_config("[::1]:8443", all);
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->listen.address, "::1");
  EXPECT_EQ(config->listen.port, 8443);
  EXPECT_EQ(config->files.client_ca, "ca.pem");
  EXPECT_EQ(message_of("127.0.0.1:8443", {"", "s.key", "ca.pem"}).rfind("--listen needs --tls-cert", 0), 0u);
  EXPECT_EQ(message_of("127.0.0.1:8443", {"s.pem", "", "ca.pem"}).rfind("--listen needs --tls-key", 0), 0u);
  EXPECT_EQ(message_of("127.0.0.1:8443", {"s.pem", "s.key", ""}).rfind("--listen needs --client-ca", 0), 0u);
  EXPECT_EQ(message_of("127.0.0.1:8443", {}).rfind("--listen needs --tls-cert", 0), 0u);
}

TEST(TlsListenConfig, TlsFlagsWithoutListenAreRefusedNotIgnored) {
  EXPECT_EQ(message_of("", {"s.pem", "", ""}), "--tls-cert needs --listen ADDR:PORT (the TLS API)");
  EXPECT_EQ(message_of("", {"", "", "ca.pem"}), "--client-ca needs --listen ADDR:PORT (the TLS API)");
  EXPECT_EQ(message_of("localhost:1", {"s.pem", "s.key", "ca.pem"}).rfind("--listen 'localhost:1'", 0), 0u);
}

TEST(TlsContext, AnUnusableFileIsRefusedNamingItsFlag) {
  injector::testing::TempDir dir{"tlsctx"};
  std::ofstream(dir.file("junk.pem")) << "not a certificate\n";
  try {
    injector::http::make_server_context({dir.file("missing.pem"), dir.file("k"), dir.file("ca")});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--tls-cert " + dir.file("missing.pem") + ": cannot load", 0), 0u) << e.what();
  }
  EXPECT_THROW(injector::http::make_server_context({dir.file("junk.pem"), dir.file("k"), dir.file("ca")}),
               std::invalid_argument);
}

struct NameDeleter {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};

std::unique_ptr<X509_NAME, NameDeleter> name(std::initializer_list<std::pair<const char*, const char*>> entries) {
  std::unique_ptr<X509_NAME, NameDeleter> n(X509_NAME_new());
  for (const auto& [field, value] : entries) {
    X509_NAME_add_entry_by_txt(n.get(), field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value), -1, -1, 0);
  }
  return n;
}

TEST(TlsContext, SubjectsAreOneLineRfc2253MostSpecificFirst) {
  EXPECT_EQ(injector::http::rfc2253_subject(name({{"O", "payments"}, {"CN", "ci-runner"}}).get()),
            "CN=ci-runner,O=payments");
  // Separators and line breaks inside a value are escaped: one line, unambiguous.
  EXPECT_EQ(injector::http::rfc2253_subject(name({{"CN", "a,b+c"}}).get()), "CN=a\\,b\\+c");
  const std::string broken = injector::http::rfc2253_subject(name({{"CN", "x\ny"}}).get());
  EXPECT_EQ(broken.find('\n'), std::string::npos) << broken;
  EXPECT_EQ(injector::http::rfc2253_subject(nullptr), "");
}

}  // namespace
