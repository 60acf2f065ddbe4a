#include "injector/report/report_html.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <string>

#include "injector/report/markup.h"
#include "injector/report/sample_report.h"

namespace {

using injector::report::render_report_html;
using injector::report::testing::count;
using injector::report::testing::kTrickyText;
using injector::report::testing::sample_report;
using nlohmann::json;

// Nothing in the page may make the browser fetch anything. (The headless
// Chromium test checks the same on a real render with the network off.)
TEST(ReportHtml, MakesNoNetworkRequest) {
  const std::string html = render_report_html(sample_report());
  for (const char* ref : {"src=", "href=", "url(", "@import", "<script", "<link", "<img", "<iframe", "<object",
                          "<embed", "<base", "srcset", "<meta http-equiv"}) {
    EXPECT_EQ(html.find(ref), std::string::npos) << ref;
  }
  EXPECT_EQ(count(html, "://"), 1);  // only the inline SVG's namespace name
  EXPECT_NE(html.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
}

TEST(ReportHtml, VerdictAndReasonComeFirst) {
  const std::string html = render_report_html(sample_report());
  const auto verdict = html.find("<header class=\"verdict bad\"><h1>GUARD ABORTED</h1>");
  ASSERT_NE(verdict, std::string::npos);
  EXPECT_LT(verdict, html.find("id=\"summary\""));
  EXPECT_LT(html.find("id=\"summary\""), html.find("<svg "));
  EXPECT_LT(html.find("<svg "), html.find("id=\"steps\""));
  EXPECT_NE(html.find("guard &#39;slow &lt;hz&amp;sz&gt;&#39; tripped at +41.0 s"), std::string::npos);
}

TEST(ReportHtml, VerdictColours) {
  json r = sample_report();
  for (const auto& [result, cls] : std::vector<std::pair<std::string, std::string>>{
           {"pass", "good"}, {"invariant_violated", "bad"}, {"unknown", "warn"}, {"preflight_refused", "neutral"},
           {"", "neutral"}}) {
    r["verdict"]["result"] = result;
    EXPECT_NE(render_report_html(r).find("<header class=\"verdict " + cls + "\">"), std::string::npos) << result;
  }
}

TEST(ReportHtml, SummaryFigures) {
  const std::string html = render_report_html(sample_report());
  EXPECT_NE(html.find("<div class=\"v\">17421</div><div class=\"k\">ok</div>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"v\">0</div><div class=\"k\">lost</div>"), std::string::npos);
  // The worst RTO and the longest gap, and which fault's edge caused it.
  EXPECT_NE(html.find("<div class=\"v\">3100 ms</div><div class=\"k\">RTO (worst)</div>"
                      "<div class=\"k dim\">cut-hz start, hz</div>"),
            std::string::npos);
  EXPECT_NE(html.find("<div class=\"v\">3200 ms</div><div class=\"k\">longest gap</div>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"v\">40 ms</div><div class=\"k\">p99 during</div>"), std::string::npos);
}

// Unknown is shown as unknown, never as 0.
TEST(ReportHtml, NullsAreDashesNotZeros) {
  json r = sample_report();
  r["payments"]["lost"] = nullptr;
  r["failover"] = json::array();
  const std::string html = render_report_html(r);
  EXPECT_NE(html.find("<div class=\"v\">—</div><div class=\"k\">lost</div>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"v\">—</div><div class=\"k\">RTO (worst)</div>"), std::string::npos);
  // The unknown expectation's measured value.
  EXPECT_NE(html.find("<td>== 0</td><td>—</td>"), std::string::npos);
}

TEST(ReportHtml, TablesWithTimesSinceTheStart) {
  const std::string html = render_report_html(sample_report());
  for (const char* id : {"failover", "steps", "faults", "expectations", "guards", "invariants", "rollback", "probes"}) {
    EXPECT_NE(html.find("<section id=\"" + std::string(id) + "\">"), std::string::npos) << id;
  }
  // cut-hz: requested +9.95 s, active +10 s; hosts with their activation.
  EXPECT_NE(html.find("<td>+9.95 s</td><td>+10 s</td><td>+25 s</td><td>+25.04 s</td>"), std::string::npos);
  EXPECT_NE(html.find("<li>hz-1 <span class=\"dim\">(hz)</span> active +9.99 s"), std::string::npos);
  EXPECT_NE(html.find("+41.1 s (100 ms after the breach)"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;= 0.05 s</td><td>0.071 s</td>"), std::string::npos);
}

TEST(ReportHtml, EscapesAllUserText) {
  json r = sample_report();
  r["playbook"]["name"] = "<b>drill</b>";
  r["steps"][0]["summary"] = kTrickyText;
  r["faults"][0]["hosts"][0]["host"] = "<hz-1>";
  r["invariants"][0]["name"] = "</table>";
  r["playbook"]["vars"]["<k>"] = "<v>";
  const std::string html = render_report_html(r);
  EXPECT_EQ(html.find("<b>drill"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<hz-1>"), std::string::npos);
  EXPECT_EQ(html.find("<v>"), std::string::npos);
  EXPECT_EQ(count(html, "</table>"), count(html, "<table>"));
  EXPECT_NE(html.find(injector::report::escape(kTrickyText)), std::string::npos);
}

TEST(ReportHtml, EmptyAndOddInputsRender) {
  for (const json& r : {json::object(), json(nullptr), json{{"payments", "x"}, {"failover", {1, {{"per_dc", 2}}}}},
                        json{{"steps", {nullptr}}, {"faults", {{{"hosts", {nullptr}}}}}, {"playbook", {{"vars", 1}}}}}) {
    std::string html;
    ASSERT_NO_THROW(html = render_report_html(r)) << r.dump();
    EXPECT_NE(html.find("NO VERDICT"), std::string::npos);
    EXPECT_NE(html.find("</html>"), std::string::npos);
  }
}

}  // namespace
