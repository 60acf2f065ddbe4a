#include "common/units.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/cidr.h"
#include "common/fault_spec.h"
#include "common/field_error.h"

namespace {

using injector::parse_micros;
using injector::parse_percent;
using injector::parse_port_range;
using injector::parse_rate_bps;
using injector::parse_size_bytes;
using injector::PortRange;
using namespace std::chrono_literals;

// The message of the std::invalid_argument that `f` throws, or "(no error)".
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Units, MicrosUnits) {
  EXPECT_EQ(parse_micros("500us"), 500us);
  EXPECT_EQ(parse_micros("30ms"), 30'000us);
  EXPECT_EQ(parse_micros("2s"), 2'000'000us);
  EXPECT_EQ(parse_micros("0ms"), 0us);
}

TEST(Units, MicrosFractions) {
  EXPECT_EQ(parse_micros("1.5s"), 1'500'000us);
  EXPECT_EQ(parse_micros("0.5ms"), 500us);
  EXPECT_EQ(parse_micros("2.25ms"), 2'250us);
  EXPECT_EQ(parse_micros(".1s"), 100'000us);
}

TEST(Units, MicrosRejects) {
  for (const char* bad : {"-5ms", "-1us", "30", "", "ms", "abc", "30m", "30 ms", "5min", "1h", "nanms", "infs"}) {
    EXPECT_THROW(parse_micros(bad), std::invalid_argument) << bad;
  }
  // The error names the text and, for an unknown unit, the units accepted.
  const std::string unit = error_of([] { parse_micros("30m"); });
  EXPECT_NE(unit.find("'30m'"), std::string::npos) << unit;
  EXPECT_NE(unit.find("us, ms, s"), std::string::npos) << unit;
  const std::string none = error_of([] { parse_micros("30"); });
  EXPECT_NE(none.find("'30'"), std::string::npos) << none;
}

TEST(Units, MicrosAtMostAnHour) {
  EXPECT_EQ(parse_micros("3600s"), std::chrono::microseconds(3'600'000'000));
  EXPECT_THROW(parse_micros("3601s"), std::invalid_argument);
  EXPECT_THROW(parse_micros("3600001ms"), std::invalid_argument);
  const std::string e = error_of([] { parse_micros("7200s"); });
  EXPECT_NE(e.find("hour"), std::string::npos) << e;
}

TEST(Units, Percent) {
  EXPECT_DOUBLE_EQ(parse_percent("5%"), 5);
  EXPECT_DOUBLE_EQ(parse_percent("5"), 5);
  EXPECT_DOUBLE_EQ(parse_percent("0.5%"), 0.5);
  EXPECT_DOUBLE_EQ(parse_percent("100%"), 100);
  EXPECT_DOUBLE_EQ(parse_percent("0%"), 0);
  for (const char* bad : {"101%", "100.01", "-1%", "-0.5", "5%%", "5 %", "%", "", "five", "5pct"}) {
    EXPECT_THROW(parse_percent(bad), std::invalid_argument) << bad;
  }
  const std::string e = error_of([] { parse_percent("101%"); });
  EXPECT_NE(e.find("101%"), std::string::npos) << e;
}

TEST(Units, RateBps) {
  EXPECT_EQ(parse_rate_bps("10mbit"), 10'000'000u);
  EXPECT_EQ(parse_rate_bps("512kbit"), 512'000u);
  EXPECT_EQ(parse_rate_bps("1gbit"), 1'000'000'000u);
  EXPECT_EQ(parse_rate_bps("1500bit"), 1'500u);
  EXPECT_EQ(parse_rate_bps("1.5mbit"), 1'500'000u);
  EXPECT_EQ(parse_rate_bps("100gbit"), 100'000'000'000u);
  for (const char* bad : {"10mbps", "10MBps", "10", "10kb", "-1mbit", "mbit", "", "10 mbit"}) {
    EXPECT_THROW(parse_rate_bps(bad), std::invalid_argument) << bad;
  }
  const std::string e = error_of([] { parse_rate_bps("10mbps"); });
  EXPECT_NE(e.find("mbps"), std::string::npos) << e;
  EXPECT_NE(e.find("mbit"), std::string::npos) << e;
}

// parse_micros and parse_size_bytes refuse values past their type's range;
// parse_rate_bps does not, and llround's result past 2^63 is unspecified.
TEST(Units, RateBeyondAnyRangeIsRejected) {
  for (const char* huge : {"1e30gbit", "20000000000gbit"}) {
    try {
      const std::uint64_t bps = parse_rate_bps(huge);
      ADD_FAILURE() << huge << " accepted as " << bps << " bit/s";
    } catch (const std::invalid_argument&) {
    }
  }
}

TEST(Units, SizeBytes) {
  EXPECT_EQ(parse_size_bytes("32kb"), 32'768u);
  EXPECT_EQ(parse_size_bytes("1mb"), 1'048'576u);
  EXPECT_EQ(parse_size_bytes("1500b"), 1'500u);
  EXPECT_EQ(parse_size_bytes("1500"), 1'500u);
  EXPECT_EQ(parse_size_bytes("1.5kb"), 1'536u);
  EXPECT_EQ(parse_size_bytes("1024mb"), 1u << 30);
  for (const char* bad : {"1025mb", "2gb", "-1kb", "32KiB", "kb", "", "32 kb"}) {
    EXPECT_THROW(parse_size_bytes(bad), std::invalid_argument) << bad;
  }
}

TEST(PortRange, Parse) {
  EXPECT_EQ(parse_port_range("443"), (PortRange{443, 443}));
  EXPECT_EQ(parse_port_range("8000-8100"), (PortRange{8000, 8100}));
  EXPECT_EQ(parse_port_range("0"), (PortRange{0, 0}));
  EXPECT_EQ(parse_port_range("65535"), (PortRange{65535, 65535}));
  // Parses; validate() is what refuses a range that runs backwards.
  EXPECT_EQ(parse_port_range("9-8"), (PortRange{9, 8}));
  for (const char* bad : {"x", "70000", "65536", "1-", "-1", "", "1-2-3", "80-x", " 80", "+80", "1-70000", "80,443"}) {
    EXPECT_THROW(parse_port_range(bad), std::invalid_argument) << bad;
  }
  const std::string e = error_of([] { parse_port_range("70000"); });
  EXPECT_NE(e.find("70000"), std::string::npos) << e;
  EXPECT_EQ(injector::to_string(PortRange{443, 443}), "443");
  EXPECT_EQ(injector::to_string(PortRange{8000, 8100}), "8000-8100");
}

std::string port_field(injector::Protocol proto, PortRange dport, std::optional<PortRange> sport = std::nullopt) {
  injector::FaultSpec s;
  s.device = "eth0";
  s.match.to = {injector::Cidr::parse("10.0.0.0/8")};
  s.match.protocol = proto;
  s.match.dport = dport;
  s.match.sport = sport;
  s.impairments.cut = injector::CutImpairment{};
  try {
    injector::validate(s);
  } catch (const injector::FieldError& e) {
    return e.field();
  }
  return "(valid)";
}

TEST(PortRange, ValidationNeedsTcpOrUdpAndOrder) {
  using injector::Protocol;
  EXPECT_EQ(port_field(Protocol::tcp, {443, 443}), "(valid)");
  EXPECT_EQ(port_field(Protocol::udp, {8000, 8100}, PortRange{1024, 65535}), "(valid)");
  EXPECT_EQ(port_field(Protocol::any, {443, 443}), "match.dport");
  EXPECT_EQ(port_field(Protocol::icmp, {443, 443}), "match.dport");
  EXPECT_EQ(port_field(Protocol::tcp, {9, 8}), "match.dport");
  EXPECT_EQ(port_field(Protocol::tcp, {443, 443}, PortRange{9, 8}), "match.sport");
}

}  // namespace

namespace {

std::string message_of(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

// Issue 15: `--delay 30` said "unknown unit ''"; it now says the unit is
// missing and shows the number with each unit that would do.
TEST(Units, ANumberWithoutAUnitSaysSoWithExamples) {
  const std::string delay = message_of([] { parse_micros("30"); });
  EXPECT_NE(delay.find("'30' has no unit"), std::string::npos) << delay;
  EXPECT_NE(delay.find("30ms"), std::string::npos) << delay;
  EXPECT_EQ(delay.find("unknown unit ''"), std::string::npos) << delay;
  const std::string rate = message_of([] { injector::parse_rate_bps("10"); });
  EXPECT_NE(rate.find("has no unit"), std::string::npos) << rate;
  EXPECT_NE(rate.find("10mbit"), std::string::npos) << rate;
  // A wrong unit is still named as such.
  const std::string wrong = message_of([] { parse_micros("30min"); });
  EXPECT_NE(wrong.find("unknown unit 'min'"), std::string::npos) << wrong;
}

}  // namespace
