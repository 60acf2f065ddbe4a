// --daemon https://HOST:PORT with --cert, --key and --ca: what the CLI
// accepts, and the clear error (naming the flag) for what it does not.
#include "injector/http_client.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "injector/cli.h"
#include "tests/injector/served_daemon.h"

namespace {

using injector::client::Endpoint;
using injector::client::TlsFiles;

const TlsFiles kFiles{"me.pem", "me.key", "ca.pem"};

std::string message_of(const std::string& text, const TlsFiles& files) {
  try {
    Endpoint::parse(text, files);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(HttpsEndpoint, ParsesNamesIpv4AndBracketedIpv6) {
  const auto named = Endpoint::parse("https://injectord-3.dc1:8443", kFiles);
  EXPECT_TRUE(named.is_https());
  EXPECT_EQ(named.host, "injectord-3.dc1");
  EXPECT_EQ(named.port, 8443);
  EXPECT_EQ(named.tls.ca, "ca.pem");
  EXPECT_EQ(named.to_string(), "https://injectord-3.dc1:8443");
  EXPECT_EQ(Endpoint::parse("https://10.0.0.5:443/", kFiles).host, "10.0.0.5");
  const auto v6 = Endpoint::parse("https://[fd00::5]:8443", kFiles);
  EXPECT_EQ(v6.host, "fd00::5");
  EXPECT_EQ(v6.to_string(), "https://[fd00::5]:8443");
  EXPECT_FALSE(Endpoint::parse("unix:/x.sock").is_https());
}

TEST(HttpsEndpoint, RefusesMalformedAddresses) {
  for (const char* bad : {"https://", "https://host", "https://host:", "https://host:0", "https://host:70000",
                          "https://:8443", "https://::1:8443", "https://[::1]8443", "https://[nothex]:1",
                          "https://host:8443/v1/faults", "https://user@host:8443"}) {
    EXPECT_THROW(Endpoint::parse(bad, kFiles), std::invalid_argument) << bad;
  }
  EXPECT_EQ(message_of("http://10.0.0.5:8443", kFiles),
            "daemon endpoint 'http://10.0.0.5:8443': plain http is not served; use https://HOST:PORT with --cert, "
            "--key and --ca");
}

TEST(HttpsEndpoint, NeedsAllThreeFilesAndNamesTheMissingOne) {
  EXPECT_EQ(message_of("https://h:1", {"", "k", "c"}), "daemon endpoint 'https://h:1': https needs --cert (our client certificate, PEM)");
  EXPECT_EQ(message_of("https://h:1", {"c", "", "c"}), "daemon endpoint 'https://h:1': https needs --key (its private key, PEM)");
  EXPECT_EQ(message_of("https://h:1", {"c", "k", ""}), "daemon endpoint 'https://h:1': https needs --ca (the daemon's CA, PEM)");
}

TEST(HttpsEndpoint, CertificateFlagsWithAUnixDaemonAreRefusedNotIgnored) {
  EXPECT_EQ(message_of("unix:/x.sock", {"", "", "ca.pem"}), "daemon endpoint 'unix:/x.sock': --ca is only for https:// daemons");
}

TEST(HttpsEndpoint, TheCliSaysWhichFlagIsMissingAndSendsNothing) {
  const auto r = injector::testing::run_cli({"fault", "list", "--daemon", "https://127.0.0.1:1", "--cert", "a.pem", "--ca", "c.pem"});
  EXPECT_EQ(r.rc, injector::cli::kUsage);
  EXPECT_NE(r.err.find("https needs --key"), std::string::npos) << r.err;
}

TEST(HttpsEndpoint, AnUnreadableCertificateFileIsAUsageErrorNamingTheFlag) {
  const auto r = injector::testing::run_cli({"fault", "list", "--daemon", "https://127.0.0.1:1", "--cert", "/nonexistent/a.pem",
                                             "--key", "/nonexistent/a.key", "--ca", "/nonexistent/c.pem"});
  EXPECT_EQ(r.rc, injector::cli::kUsage);
  EXPECT_NE(r.err.find("--ca /nonexistent/c.pem: cannot load"), std::string::npos) << r.err;
}

}  // namespace
