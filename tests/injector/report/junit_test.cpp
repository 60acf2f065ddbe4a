#include "injector/report/junit.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <string>

#include "injector/report/sample_report.h"

namespace {

using injector::report::render_junit;
using injector::report::testing::count;
using nlohmann::json;

// The value of attribute `name` on the first element `tag`.
std::string attribute(const std::string& xml, const std::string& tag, const std::string& name) {
  std::smatch m;
  const std::regex re("<" + tag + "\\b[^>]*\\s" + name + "=\"([^\"]*)\"");
  return std::regex_search(xml, m, re) ? m[1].str() : "<missing>";
}

json expectation(const std::string& path, const std::string& result) {
  return {{"path", path}, {"metric", "rto"}, {"dc", "hz"}, {"op", "<="}, {"value", 3.0}, {"unit", "s"},
          {"measured", result == "unknown" ? json(nullptr) : json(4.5)}, {"result", result}, {"detail", ""}};
}

json mix() {
  json r = {{"playbook", {{"name", "mix"}}},
            {"verdict", {{"result", "expectation_failed"}, {"exit_code", 20}, {"reason", "rto too long"}}},
            {"rollback", {{"result", "confirmed"}}}};
  for (const char* res : {"pass", "fail", "unknown", "pass", "fail"}) {
    r["expectations"].push_back(expectation("steps[1].expect[" + std::to_string(r["expectations"].size()) + "]", res));
  }
  r["guards"] = {{{"name", "g1"}, {"tripped", false}}, {{"name", "g2"}, {"tripped", true}}};
  r["invariants"] = {{{"name", "conserved"}, {"result", "pass"}}, {{"name", "no_lost"}, {"result", "unknown"}},
                     {{"name", "no_dup"}, {"result", "fail"}, {"detail", "k-7 applied twice"}}};
  return r;
}

TEST(Junit, AFailUnknownPassMixGivesTheCounts) {
  const std::string xml = render_junit(mix());
  // 5 expectations + 2 guards + 3 invariants + the rollback.
  EXPECT_EQ(count(xml, "<testcase "), 11);
  EXPECT_EQ(count(xml, "<failure "), 4);  // 2 expectations, the tripped guard, an invariant
  EXPECT_EQ(count(xml, "<error "), 2);    // an expectation and an invariant the checker could not decide
  EXPECT_EQ(attribute(xml, "testsuite", "tests"), "11");
  EXPECT_EQ(attribute(xml, "testsuite", "failures"), "4");
  EXPECT_EQ(attribute(xml, "testsuite", "errors"), "2");
  EXPECT_EQ(attribute(xml, "testsuites", "failures"), "4");
  EXPECT_EQ(attribute(xml, "testsuite", "name"), "mix");
}

TEST(Junit, AFailureSaysMeasuredAgainstExpected) {
  const std::string xml = render_junit(mix());
  EXPECT_NE(xml.find("<testcase name=\"steps[1].expect[1] rto hz\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("message=\"measured 4.5 s, expected &lt;= 3 s\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase name=\"guard g2\""), std::string::npos);
  EXPECT_NE(xml.find("<testcase name=\"invariant no_dup\""), std::string::npos);
  EXPECT_NE(xml.find("violated: k-7 applied twice"), std::string::npos);
  EXPECT_NE(xml.find("<testcase name=\"rollback\""), std::string::npos);
}

TEST(Junit, AResultThatIsNeitherPassNorFailIsAnErrorNeverAPass) {
  json r = mix();
  r["expectations"] = {expectation("e0", "pas"), expectation("e1", "")};
  r["expectations"][1].erase("result");
  r["guards"] = {{{"name", "g"}}};  // "tripped" missing
  r["invariants"] = json::array();
  r["rollback"] = {{"result", "incomplete"}, {"unconfirmed_hosts", {"hz-1", "sz-2"}}};
  const std::string xml = render_junit(r);
  EXPECT_EQ(count(xml, "<error "), 3) << xml;
  EXPECT_EQ(count(xml, "<failure "), 1) << xml;
  EXPECT_NE(xml.find("no confirmed revert from hz-1, sz-2"), std::string::npos) << xml;
}

// An rto under --no-faults was never asked: <skipped>, counted as skipped,
// neither a failure nor an error, and its reason kept.
TEST(Junit, ASkippedExpectationIsSkippedNotAFailureOrAnError) {
  json r = mix();
  r["expectations"] = {expectation("e0", "skipped"), expectation("e1", "pass")};
  r["expectations"][0]["detail"] = "not applicable: --no-faults sent no fault to recover from";
  r["guards"] = json::array();
  r["invariants"] = json::array();
  r["verdict"] = {{"result", "pass"}, {"exit_code", 0}, {"reason", ""}};
  const std::string xml = render_junit(r);
  EXPECT_EQ(count(xml, "<skipped message=\"not applicable: --no-faults"), 1) << xml;
  EXPECT_EQ(attribute(xml, "testsuite", "skipped"), "1");
  EXPECT_EQ(attribute(xml, "testsuite", "failures"), "0");
  EXPECT_EQ(attribute(xml, "testsuite", "errors"), "0");
  r["expectations"][0]["result"] = "pass";  // control: the same case passing is not skipped
  EXPECT_EQ(attribute(render_junit(r), "testsuite", "skipped"), "0");
}

TEST(Junit, PropertiesCarryTheVerdictAndExitCode) {
  const std::string xml = render_junit(mix());
  EXPECT_NE(xml.find("<property name=\"verdict\" value=\"expectation_failed\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<property name=\"exit_code\" value=\"20\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<system-out>verdict expectation_failed (exit 20): rto too long</system-out>"), std::string::npos);
}

TEST(Junit, TimestampAndTimesFromTheRun) {
  const std::string xml = render_junit(injector::report::testing::sample_report());
  EXPECT_EQ(attribute(xml, "testsuite", "timestamp"), "2026-12-07T21:46:40");
  EXPECT_EQ(attribute(xml, "testsuite", "time"), "60");
  // The window of the expectations, 10 s .. 25.04 s.
  EXPECT_EQ(attribute(xml, "testcase", "time"), "15.04");
}

// A refused or interrupted drill has nothing that fails: a CI must still not see green.
TEST(Junit, AVerdictThatIsNotAPassIsNeverAllGreen) {
  json r = {{"playbook", {{"name", "p"}}},
            {"verdict", {{"result", "preflight_refused"}, {"exit_code", 25}, {"reason", "hz-1 holds faults"}}},
            {"rollback", {{"result", "nothing_to_revert"}}}};
  const std::string xml = render_junit(r);
  EXPECT_EQ(count(xml, "<testcase "), 2);
  EXPECT_EQ(attribute(xml, "testsuite", "errors"), "1");
  EXPECT_NE(xml.find("verdict preflight_refused: hz-1 holds faults"), std::string::npos);
  r["verdict"]["result"] = "pass";
  EXPECT_EQ(count(render_junit(r), "<testcase "), 1);  // the control: a pass adds nothing
}

TEST(Junit, EscapesNamesFromYaml) {
  json r = mix();
  r["playbook"]["name"] = "a<&\"'>b";
  r["guards"][0]["name"] = "<g>&\"'";
  const std::string xml = render_junit(r);
  EXPECT_EQ(attribute(xml, "testsuite", "name"), "a&lt;&amp;&quot;&#39;&gt;b");
  EXPECT_NE(xml.find("name=\"guard &lt;g&gt;&amp;&quot;&#39;\""), std::string::npos);
  EXPECT_EQ(xml.find("<g>"), std::string::npos);
}

TEST(Junit, RendersAnEmptyOrOddDocumentWithoutThrowing) {
  for (const json& r : {json::object(), json(nullptr), json::array(), json{{"expectations", 3}, {"guards", "x"}},
                        json{{"expectations", {nullptr, 1, "x"}}}}) {
    std::string xml;
    ASSERT_NO_THROW(xml = render_junit(r)) << r.dump();
    EXPECT_NE(xml.find("<testcase name=\"rollback\""), std::string::npos) << r.dump();
    EXPECT_NE(attribute(xml, "testsuite", "name"), "<missing>");
  }
}

}  // namespace
