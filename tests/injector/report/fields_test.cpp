#include "injector/report/fields.h"

#include <gtest/gtest.h>

#include <limits>

namespace {

using namespace injector::report;

TEST(ReportFields, AbsentNullAndWrongTypesAreUnknown) {
  const Json j = {{"n", 1.5}, {"i", 7}, {"s", "x"}, {"b", true}, {"z", nullptr}, {"a", {1, 2}}};
  EXPECT_EQ(number(j, "n"), 1.5);
  EXPECT_EQ(number(j, "i"), 7.0);
  EXPECT_FALSE(number(j, "s"));
  EXPECT_FALSE(number(j, "b"));  // a bool is not a number, even in C++
  EXPECT_FALSE(number(j, "z"));
  EXPECT_FALSE(number(j, "missing"));
  EXPECT_FALSE(number(Json::array(), "n"));
  EXPECT_EQ(integer(j, "n"), 2);
  EXPECT_EQ(text(j, "s"), "x");
  EXPECT_EQ(text(j, "i"), "7");  // `name: 2024` in YAML
  EXPECT_EQ(text(j, "z"), "");
  EXPECT_EQ(list(j, "a").size(), 2u);
  EXPECT_TRUE(list(j, "s").empty());
  EXPECT_TRUE(flag(j, "b"));
  EXPECT_FALSE(flag(j, "i"));
}

TEST(ReportFields, Numbers) {
  EXPECT_EQ(format_number(3.0), "3");
  EXPECT_EQ(format_number(0.1 + 0.2), "0.3");
  EXPECT_EQ(format_number(1234.5678, 1), "1234.6");
  EXPECT_EQ(format_number(-0.0001), "0");
  EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN()), "—");
  EXPECT_EQ(format_optional(std::nullopt, "s"), "—");
  EXPECT_EQ(format_optional(0.0, "s"), "0 s");  // a known zero is a zero
  EXPECT_EQ(format_optional(12.0, "/s"), "12/s");
}

TEST(ReportFields, Times) {
  EXPECT_EQ(iso_utc(1'796'680'000'000'000), "2026-12-07T21:46:40");
  EXPECT_EQ(iso_utc(-1), "1969-12-31T23:59:59");
  EXPECT_EQ(relative_s(2'500'000, 1'000'000), "+1.5 s");
  EXPECT_EQ(relative_s(1'000'000, 1'500'000), "-0.5 s");
  EXPECT_EQ(relative_s(std::nullopt, 1), "—");
}

TEST(ReportFields, Comparisons) {
  EXPECT_EQ(comparison({{"op", "<="}, {"value", 3}, {"unit", "s"}}), "<= 3 s");
  EXPECT_EQ(comparison({{"op", ">="}, {"value", 500}, {"unit", "per_s"}}), ">= 500/s");
  EXPECT_EQ(comparison({{"op", ">="}, {"value", 0.99}, {"unit", "fraction"}}), ">= 0.99");
  EXPECT_EQ(comparison({{"between", {0.9, 1}}, {"unit", "fraction"}, {"value", nullptr}}), "between 0.9 and 1");
  EXPECT_EQ(comparison(Json::object()), "? —");
}

}  // namespace
