// What the probe kinds share: URLs split for the client, regexes searched
// within a bound, the playbook's operators as the drill's.

#include "injector/drill/probes.h"

#include <gtest/gtest.h>

#include <chrono>

#include "injector/drill/probe_kinds.h"

namespace {

using namespace injector::drill;
using namespace injector::drill::probe_detail;
using injector::playbook::CompareOp;

TEST(SplitUrl, OriginAndPath) {
  auto s = split_url("http://10.77.2.11:8080/health?deep=1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->origin, "http://10.77.2.11:8080");
  EXPECT_EQ(s->path, "/health?deep=1");
  s = split_url("https://pay.example");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->origin, "https://pay.example");
  EXPECT_EQ(s->path, "/");
  s = split_url("http://[::1]:9090?x=1#frag");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->origin, "http://[::1]:9090");
  EXPECT_EQ(s->path, "/?x=1");
}

TEST(SplitUrl, RefusesWhatIsNotHttp) {
  EXPECT_FALSE(split_url("ftp://host/"));
  EXPECT_FALSE(split_url("host:80/health"));
  EXPECT_FALSE(split_url("http:///health"));
  EXPECT_FALSE(split_url("http://"));
}

TEST(RegexFound, SearchesNotMatchesWhole) {
  EXPECT_EQ(regex_found("ok", "status: ok."), true);
  EXPECT_EQ(regex_found("^ok$", "status: ok."), false);
  EXPECT_EQ(regex_found("\\d+/\\d+ ready", "3/3 ready"), true);  // ECMAScript's escapes read alike
  std::string why;
  EXPECT_EQ(regex_found("(", "x", &why), std::nullopt);
  EXPECT_NE(why.find("not a valid regex"), std::string::npos) << why;
}

TEST(RegexProblem, NamesWhatIsWrongWithAPattern) {
  EXPECT_EQ(regex_problem("\"status\":\\s*\"ok\""), std::nullopt);
  EXPECT_EQ(regex_problem("^$"), std::nullopt);  // matches only the empty text: still a valid pattern
  const auto why = regex_problem("ready: (\\d+");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("missing closing parenthesis"), std::string::npos) << *why;
}

TEST(RegexFound, LooksOnlyAtTheFirst64KiB) {
  std::string text(kMatchLimit - 3, 'a');
  text += "needle";
  EXPECT_EQ(regex_found("nee", text), true);
  EXPECT_EQ(regex_found("needle", text), false);
}

TEST(RegexFound, ALongBodyOrAPathologicalPatternNeitherCrashesNorHangs) {
  // std::regex overflowed an 8 MiB stack on 16 KiB with ".*ok" (a segfault).
  std::string body(kMatchLimit - 2, 'a');
  EXPECT_EQ(regex_found(".*ok", body + "ok"), true);
  EXPECT_EQ(regex_found(".*ok", body + "no"), false);
  EXPECT_EQ(regex_found("(a|b)*c", body), false);
  // Exponential backtracking: given up (unknown to the probe), not run for minutes.
  std::string why;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(regex_found("^(a|aa)+$", std::string(64, 'a') + "b", &why), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(why.find("gave up"), std::string::npos) << why;
}

TEST(ToOp, EveryOperatorMapsToTheSameComparison) {
  EXPECT_EQ(to_op(CompareOp::lt), Op::lt);
  EXPECT_EQ(to_op(CompareOp::le), Op::le);
  EXPECT_EQ(to_op(CompareOp::gt), Op::gt);
  EXPECT_EQ(to_op(CompareOp::ge), Op::ge);
  EXPECT_EQ(to_op(CompareOp::eq), Op::eq);
  EXPECT_EQ(to_op(CompareOp::ne), Op::ne);
}

}  // namespace
