#include "common/cidr.h"
#include "common/strings.h"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace injector {
namespace {

unsigned parse_prefix(std::string_view digits, unsigned max) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value > max) {
    throw std::invalid_argument("prefix length " + quote_input(digits) + " is not a number from 0 to " +
                                std::to_string(max));
  }
  return value;
}

bool host_bits_zero(const Cidr& c) {
  for (std::size_t bit = c.prefix_len; bit < c.max_prefix(); ++bit) {
    if (c.addr[bit / 8] & (0x80u >> (bit % 8))) return false;
  }
  return true;
}

}  // namespace

Cidr Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string host(text.substr(0, slash));
  Cidr c;
  // inet_pton stops at a NUL, so "10.0.0.0\0junk" would otherwise pass as 10.0.0.0.
  if (host.find('\0') != std::string::npos) {
    throw std::invalid_argument(quote_input(text) + " is not an IPv4 or IPv6 address or CIDR");
  }
  if (inet_pton(AF_INET, host.c_str(), c.addr.data()) == 1) {
    c.family = Family::v4;
  } else if (inet_pton(AF_INET6, host.c_str(), c.addr.data()) == 1) {
    c.family = Family::v6;
  } else {
    throw std::invalid_argument(quote_input(text) + " is not an IPv4 or IPv6 address or CIDR");
  }
  c.prefix_len = static_cast<std::uint8_t>(
      slash == std::string_view::npos ? c.max_prefix() : parse_prefix(text.substr(slash + 1), c.max_prefix()));
  if (!host_bits_zero(c)) {
    throw std::invalid_argument(quote_input(text) + " has host bits set beyond /" +
                                std::to_string(c.prefix_len) + " (did you mean the network address?)");
  }
  return c;
}

bool Cidr::contains(const Cidr& other) const {
  if (family != other.family || other.prefix_len < prefix_len) return false;
  for (std::size_t bit = 0; bit < prefix_len; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((addr[bit / 8] & mask) != (other.addr[bit / 8] & mask)) return false;
  }
  return true;
}

std::string Cidr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix_len);
}

}  // namespace injector
