// Who called and where: the identity a fault records, and --listen's address syntax.
#include "daemon/http/peer.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using injector::http::PeerCredentials;
using injector::http::TcpAddress;

TEST(PeerIdentity, AUnixCallerIsItsUidATlsCallerItsCertificateSubject) {
  EXPECT_EQ((PeerCredentials{42, 1000, 1001}).identity(), "uid:1000");
  EXPECT_EQ((PeerCredentials{42, 0, 0}).identity(), "uid:0");
  PeerCredentials tls;
  tls.certificate_subject = "CN=ci-runner,O=payments";
  EXPECT_TRUE(tls.by_certificate());
  EXPECT_FALSE((PeerCredentials{42, 0, 0}).by_certificate());
  EXPECT_EQ(tls.identity(), "cert:CN=ci-runner,O=payments");
}

TEST(TcpAddress, ParsesIpv4AndBracketedIpv6) {
  const auto v4 = TcpAddress::parse("127.0.0.1:8443");
  EXPECT_EQ(v4.address, "127.0.0.1");
  EXPECT_EQ(v4.port, 8443);
  EXPECT_FALSE(v4.is_v6());
  EXPECT_EQ(v4.to_string(), "127.0.0.1:8443");
  const auto v6 = TcpAddress::parse("[::1]:1");
  EXPECT_EQ(v6.address, "::1");
  EXPECT_EQ(v6.port, 1);
  EXPECT_EQ(v6.to_string(), "[::1]:1");
  EXPECT_EQ(TcpAddress::parse("[fd00:0::5]:65535").address, "fd00::5") << "canonical text";
  EXPECT_EQ(TcpAddress::parse("0.0.0.0:443").address, "0.0.0.0");
}

TEST(TcpAddress, RefusesWhatIsNotALiteralAddressAndAPort) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:84x",
                          "localhost:8443", "::1:8443", "[::1]8443", "[::1", "[127.0.0.1]:8443", "[::1]:",
                          "300.1.1.1:80", ":8443"}) {
    EXPECT_THROW(TcpAddress::parse(bad), std::invalid_argument) << bad;
  }
  try {
    TcpAddress::parse("localhost:8443", "--listen");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "--listen 'localhost:8443': 'localhost' is not an IP address; expected IPv4:PORT or [IPv6]:PORT, "
              "e.g. 127.0.0.1:8443 or [::1]:8443");
  }
}

}  // namespace
