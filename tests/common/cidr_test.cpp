#include "common/cidr.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using injector::Cidr;
using injector::Family;

std::string error_of(std::string_view text) {
  try {
    Cidr::parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Cidr, ParsesIPv4Network) {
  const Cidr c = Cidr::parse("10.1.2.0/24");
  EXPECT_EQ(c.family, Family::v4);
  EXPECT_EQ(c.prefix_len, 24);
  EXPECT_EQ(c.addr[0], 10);
  EXPECT_EQ(c.addr[1], 1);
  EXPECT_EQ(c.addr[2], 2);
  EXPECT_EQ(c.addr[3], 0);
  for (std::size_t i = 4; i < c.addr.size(); ++i) EXPECT_EQ(c.addr[i], 0) << i;
  EXPECT_EQ(c.addr_len(), 4u);
  EXPECT_EQ(c.max_prefix(), 32u);
}

TEST(Cidr, ParsesIPv6Network) {
  const Cidr c = Cidr::parse("fd00:77:2::/64");
  EXPECT_EQ(c.family, Family::v6);
  EXPECT_EQ(c.prefix_len, 64);
  const std::array<std::uint8_t, 16> want{0xfd, 0x00, 0x00, 0x77, 0x00, 0x02};
  EXPECT_EQ(c.addr, want);
  EXPECT_EQ(c.addr_len(), 16u);
  EXPECT_EQ(c.max_prefix(), 128u);
}

TEST(Cidr, BareAddressesAreHostRoutes) {
  const Cidr v4 = Cidr::parse("10.1.2.3");
  EXPECT_EQ(v4.family, Family::v4);
  EXPECT_EQ(v4.prefix_len, 32);
  EXPECT_EQ(v4.addr[3], 3);
  const Cidr v6 = Cidr::parse("::1");
  EXPECT_EQ(v6.family, Family::v6);
  EXPECT_EQ(v6.prefix_len, 128);
  EXPECT_EQ(v6.addr[15], 1);
}

TEST(Cidr, PrefixBounds) {
  EXPECT_EQ(Cidr::parse("0.0.0.0/0").prefix_len, 0);
  EXPECT_EQ(Cidr::parse("10.0.0.1/32").prefix_len, 32);
  EXPECT_EQ(Cidr::parse("::/0").prefix_len, 0);
  EXPECT_EQ(Cidr::parse("fd00::1/128").prefix_len, 128);
  EXPECT_THROW(Cidr::parse("10.0.0.0/33"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("fd00::/129"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.0.0.0/-1"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.0.0.0/"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.0.0.0/8x"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.0.0.0/8/8"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.0.0.0/99999999999"), std::invalid_argument);
  const std::string msg = error_of("10.0.0.0/33");
  EXPECT_NE(msg.find("'33'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0 to 32"), std::string::npos) << msg;
  EXPECT_NE(error_of("fd00::/129").find("0 to 128"), std::string::npos);
}

TEST(Cidr, HostBitsSetRejected) {
  EXPECT_THROW(Cidr::parse("10.0.0.1/8"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.1.2.128/24"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.0.0.1/31"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("1.0.0.0/0"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("fd00::1/64"), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("fd00:0:0:0:8000::/64"), std::invalid_argument);
  EXPECT_NO_THROW(Cidr::parse("10.0.0.2/31"));
  EXPECT_NO_THROW(Cidr::parse("fd00:0:0:1::/64"));
  const std::string msg = error_of("10.0.0.1/8");
  EXPECT_NE(msg.find("'10.0.0.1/8'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("host bits"), std::string::npos) << msg;
}

TEST(Cidr, GarbageRejected) {
  for (const char* text : {"", "/8", "garbage", "10.0.0", "10.0.0.256/8", "10.0.0.0.0/8", " 10.0.0.0/8",
                           "10.0.0.0/8 ", "10.0.0.0 /8", "fd00:::/64", "fd00::g/64", "10.0.0.0,10.1.0.0",
                           "0x0a000000/8", "localhost"}) {
    EXPECT_THROW(Cidr::parse(text), std::invalid_argument) << "'" << text << "'";
  }
  const std::string msg = error_of("garbage");
  EXPECT_NE(msg.find("'garbage'"), std::string::npos) << msg;
}

TEST(Cidr, EmbeddedNulIsGarbage) {
  // A JSON string such as "10.0.0.0\u0000junk" reaches parse() with a NUL inside;
  // only the part before the NUL must not be taken for the whole address.
  using namespace std::string_view_literals;
  EXPECT_THROW(Cidr::parse("10.0.0.0\0junk"sv), std::invalid_argument);
  EXPECT_THROW(Cidr::parse("10.0.0.0\0/8"sv), std::invalid_argument);
}

TEST(Cidr, Contains) {
  const Cidr ten = Cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(ten.contains(ten));
  EXPECT_TRUE(ten.contains(Cidr::parse("10.1.0.0/16")));
  EXPECT_TRUE(ten.contains(Cidr::parse("10.255.255.255")));
  EXPECT_FALSE(ten.contains(Cidr::parse("11.0.0.0/16")));
  EXPECT_FALSE(ten.contains(Cidr::parse("0.0.0.0/0")));  // wider never inside narrower
  EXPECT_FALSE(Cidr::parse("10.1.0.0/16").contains(ten));
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0").contains(Cidr::parse("192.168.1.1")));
  EXPECT_FALSE(Cidr::parse("0.0.0.0/0").contains(Cidr::parse("::/0")));  // families never mix
  EXPECT_FALSE(Cidr::parse("::/0").contains(Cidr::parse("10.0.0.1")));
  const Cidr fd = Cidr::parse("fd00::/8");
  EXPECT_TRUE(fd.contains(Cidr::parse("fd77:0:2::/64")));
  EXPECT_FALSE(fd.contains(Cidr::parse("fe80::/64")));
  // A bit past the first byte boundary decides it.
  EXPECT_TRUE(Cidr::parse("10.0.0.0/9").contains(Cidr::parse("10.127.0.0/16")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/9").contains(Cidr::parse("10.128.0.0/16")));
}

TEST(Cidr, ToStringRoundTrip) {
  for (const char* text : {"10.0.0.0/8", "192.168.1.7/32", "0.0.0.0/0", "fd00::/64", "fd77:0:2::/48", "::1/128",
                           "::/0", "2001:db8::8:800:200c:417a/128"}) {
    const Cidr c = Cidr::parse(text);
    EXPECT_EQ(c.to_string(), text);
    EXPECT_EQ(Cidr::parse(c.to_string()), c) << text;
  }
  EXPECT_EQ(Cidr::parse("10.1.2.3").to_string(), "10.1.2.3/32");
  EXPECT_EQ(Cidr::parse("FD00:0000::/64").to_string(), "fd00::/64");  // canonical form
}

TEST(Cidr, Equality) {
  EXPECT_EQ(Cidr::parse("10.0.0.0/8"), Cidr::parse("10.0.0.0/8"));
  EXPECT_NE(Cidr::parse("10.0.0.0/8"), Cidr::parse("10.0.0.0/9"));
  EXPECT_NE(Cidr::parse("0.0.0.0/0"), Cidr::parse("::/0"));
}

}  // namespace
