#include "common/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace {

using injector::format_duration;
using injector::parse_duration;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

std::string error_of(const std::string& text) {
  try {
    parse_duration(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Duration, SingleUnits) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("1ms"), 1ms);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("10m"), 10min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("1500ms"), 1500ms);
  EXPECT_EQ(parse_duration("90m"), 90min);
}

TEST(Duration, Compounds) {
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("1h2m3s4ms"), 1h + 2min + 3s + 4ms);
  EXPECT_EQ(parse_duration("2s500ms"), 2500ms);
  EXPECT_EQ(parse_duration("1m0s"), 1min);  // a zero part is fine when the total is not
}

TEST(Duration, UpToAYear) {
  EXPECT_EQ(parse_duration("8760h"), 8760h);
  EXPECT_EQ(parse_duration("8759h60m"), 8760h);
}

TEST(Duration, ZeroRejected) {
  EXPECT_THROW(parse_duration("0s"), std::invalid_argument);
  EXPECT_THROW(parse_duration("0ms"), std::invalid_argument);
  EXPECT_THROW(parse_duration("0h0m"), std::invalid_argument);
  const std::string msg = error_of("0s");
  EXPECT_NE(msg.find("'0s'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("zero"), std::string::npos) << msg;
}

TEST(Duration, NegativeRejected) {
  EXPECT_THROW(parse_duration("-5s"), std::invalid_argument);
  EXPECT_THROW(parse_duration("1h-30m"), std::invalid_argument);
  const std::string msg = error_of("-5s");
  EXPECT_NE(msg.find("'-5s'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("positive"), std::string::npos) << msg;
}

TEST(Duration, EmptyRejected) {
  const std::string msg = error_of("");
  EXPECT_NE(msg.find("duration ''"), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Duration, MissingOrUnknownUnitRejected) {
  for (const char* text : {"5", "5d", "5 s", "5sec", "5S", "s", "ms", "1.5s", "5s5", "+5s", " 5s", "5s "}) {
    EXPECT_THROW(parse_duration(text), std::invalid_argument) << "'" << text << "'";
  }
  std::string msg = error_of("5d");
  EXPECT_NE(msg.find("'5d'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown unit at 'd'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ms, s, m, h"), std::string::npos) << msg;  // says what is allowed
  msg = error_of("5");
  EXPECT_NE(msg.find("'5'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing unit"), std::string::npos) << msg;
}

TEST(Duration, OverflowRejected) {
  for (const char* text : {"8761h", "525601m", "31536001s", "31536000001ms", "8760h1ms", "9223372036854775807ms",
                           "99999999999999999999s", "9223372036854775807h", "4000h4000h4000h"}) {
    EXPECT_THROW(parse_duration(text), std::invalid_argument) << text;
  }
  std::string msg = error_of("8761h");
  EXPECT_NE(msg.find("'8761h'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("longer than a year"), std::string::npos) << msg;
  msg = error_of("99999999999999999999s");
  EXPECT_NE(msg.find("'99999999999999999999s'"), std::string::npos) << msg;
}

TEST(Duration, Format) {
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1s), "1s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(10min), "10m");
  EXPECT_EQ(format_duration(24h), "24h");
  EXPECT_EQ(format_duration(1h + 1ms), "1h1ms");
  EXPECT_EQ(format_duration(3723004ms), "1h2m3s4ms");
  EXPECT_EQ(format_duration(0ms), "0ms");
  EXPECT_EQ(format_duration(-5ms), "-5ms");
}

TEST(Duration, FormatParsesBack) {
  for (const milliseconds d : {1ms, 999ms, 1001ms, 59999ms, 60000ms, 3599999ms, 3600001ms, milliseconds(8760h)}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
  }
}

}  // namespace
