#include "daemon/http/peer.h"
#include "common/strings.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <stdexcept>

namespace injector::http {

std::string PeerCredentials::identity() const {
  if (certificate_subject) return "cert:" + *certificate_subject;
  return "uid:" + std::to_string(uid);
}

TcpAddress TcpAddress::parse(std::string_view text, std::string_view flag) {
  const auto fail = [&](const std::string& why) {
    return std::invalid_argument(std::string(flag) + " " + quote_input(text) + ": " + why +
                                 "; expected IPv4:PORT or [IPv6]:PORT, e.g. 127.0.0.1:8443 or [::1]:8443");
  };
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw fail("no ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    if (text.substr(close + 1, 1) != ":") throw fail("no ':PORT' after ']'");
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw fail("no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) throw fail("an IPv6 address must be in brackets");
  }
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(std::string(host), ec);
  if (ec || host.empty()) throw fail(quote_input(host) + " is not an IP address");
  if (text.starts_with('[') != ip.is_v6()) throw fail("only IPv6 addresses go in brackets");
  unsigned value = 0;
  const auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || err != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
    throw fail("port " + quote_input(port) + " is not 1-65535");
  }
  return {ip.to_string(), static_cast<std::uint16_t>(value)};
}

std::string TcpAddress::to_string() const {
  return (is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace injector::http
