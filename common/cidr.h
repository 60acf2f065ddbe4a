#pragma once
// An IPv4 or IPv6 network in CIDR notation, kept in network byte order because
// that is what u32 filters compare against on the wire.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace injector {

enum class Family : std::uint8_t { v4, v6 };

// Bytes in one address of the family.
constexpr std::uint32_t address_bytes(Family f) { return f == Family::v4 ? 4 : 16; }

struct Cidr {
  Family family = Family::v4;
  std::array<std::uint8_t, 16> addr{};  // first 4 bytes used for v4; host bits are zero
  std::uint8_t prefix_len = 0;

  // Accepts "10.0.0.0/8", "fd00::/64" and bare addresses ("10.1.2.3" = /32, "::1" = /128).
  // Throws std::invalid_argument with the reason; host bits set is an error
  // ("10.0.0.1/8"), because a user who wrote it probably meant something else.
  static Cidr parse(std::string_view text);

  std::size_t addr_len() const { return address_bytes(family); }
  unsigned max_prefix() const { return family == Family::v4 ? 32 : 128; }
  bool contains(const Cidr& other) const;
  std::string to_string() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;
};

}  // namespace injector
