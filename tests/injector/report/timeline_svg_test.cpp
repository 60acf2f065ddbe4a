#include "injector/report/timeline_svg.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <vector>

#include "injector/report/sample_report.h"

namespace {

using injector::report::render_timeline_svg;
using injector::report::testing::count;
using injector::report::testing::kSampleStartUs;
using injector::report::testing::sample_report;
using nlohmann::json;

// The SVG of each <g class="panel">, in order.
std::vector<std::string> panels(const std::string& svg) {
  std::vector<std::string> out;
  const std::string open = "<g class=\"panel\"";
  for (auto pos = svg.find(open); pos != std::string::npos;) {
    const auto next = svg.find(open, pos + 1);
    out.push_back(svg.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    pos = next;
  }
  return out;
}

double number_attribute(const std::string& element, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(element, m, std::regex("\\s" + name + "=\"([-0-9.]+)\""))) return -1;
  return std::stod(m[1].str());
}

std::string band_of(const std::string& panel, int fault) {
  std::smatch m;
  const std::regex re("<rect class=\"fault-band\" data-fault=\"" + std::to_string(fault) + "\"[^>]*>");
  return std::regex_search(panel, m, re) ? m[0].str() : "";
}

TEST(TimelineSvg, OneBandPerFaultPerPanel) {
  const std::string svg = render_timeline_svg(sample_report());
  const auto ps = panels(svg);
  ASSERT_EQ(ps.size(), 4u);  // all, hz, sh, sz
  EXPECT_NE(ps[0].find("data-panel=\"\""), std::string::npos);
  EXPECT_NE(ps[1].find("data-panel=\"hz\""), std::string::npos);
  EXPECT_NE(ps[3].find("data-panel=\"sz\""), std::string::npos);
  for (const auto& p : ps) {
    EXPECT_EQ(count(p, "class=\"fault-band\""), 2);
    EXPECT_EQ(count(p, "data-fault=\"0\""), 1);
    EXPECT_EQ(count(p, "data-fault=\"1\""), 1);
    EXPECT_NE(p.find(">cut-hz</text>"), std::string::npos);  // labelled
    EXPECT_EQ(count(p, "class=\"guard-trip\""), 1);
  }
  EXPECT_EQ(count(svg, "class=\"fault-band\""), 8);
}

// The second fault runs from 35 s to 41.1 s of a 60 s run: the band's edges
// sit there on the time axis, which starts at 0 and ends at 60.
TEST(TimelineSvg, ABandSpansItsFaultWindow) {
  const std::string p = panels(render_timeline_svg(sample_report()))[1];
  const std::string band = band_of(p, 1);
  ASSERT_FALSE(band.empty());
  const double x = number_attribute(band, "x"), w = number_attribute(band, "width");
  const double left = 80, plot_w = 1200 - 80 - 24;
  EXPECT_NEAR(x, left + plot_w * 35 / 60, 0.1);
  EXPECT_NEAR(x + w, left + plot_w * 41.1 / 60, 0.2);
}

TEST(TimelineSvg, AnUnconfirmedRevertRunsToTheEndAndSaysSo) {
  json r = sample_report();
  r["faults"][1]["revert_confirmed_unix_us"] = nullptr;
  r["faults"][1]["revert"] = "unconfirmed";
  const std::string p = panels(render_timeline_svg(r))[0];
  const std::string band = band_of(p, 1);
  EXPECT_NEAR(number_attribute(band, "x") + number_attribute(band, "width"), 1200 - 24, 0.1);
  EXPECT_NE(p.find("slow-hz-sz (revert not confirmed)"), std::string::npos);
}

TEST(TimelineSvg, AFaultNeverActiveHasNoBand) {
  json r = sample_report();
  r["faults"][0]["active_unix_us"] = nullptr;
  const std::string svg = render_timeline_svg(r);
  EXPECT_EQ(count(svg, "data-fault=\"0\""), 0);
  EXPECT_EQ(count(svg, "data-fault=\"1\""), 4);
}

TEST(TimelineSvg, NullQuantilesBreakTheLatencyLine) {
  // hz has no ok from 10 s to 13 s: its p50 line is two pieces, M...M.
  const std::string p = panels(render_timeline_svg(sample_report()))[1];
  std::smatch m;
  ASSERT_TRUE(std::regex_search(p, m, std::regex("<path class=\"p50\"[^>]* d=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1].str(), "M"), 2);
  EXPECT_EQ(count(p, "nan"), 0);
}

TEST(TimelineSvg, AProbesOnlyRunWithNoFaultAndNoPayments) {
  json r = sample_report();
  r["faults"] = json::array();
  r["guards"] = json::array();
  r["series"] = json::object();
  r["datacenters"] = json::array();
  const std::string svg = render_timeline_svg(r);
  ASSERT_EQ(panels(svg).size(), 1u);
  EXPECT_EQ(count(svg, "fault-band"), 0);
  EXPECT_NE(svg.find("no payment traffic in this run"), std::string::npos);
  EXPECT_NE(svg.find(">60</text>"), std::string::npos);  // the run's 60 s still make the axis
}

TEST(TimelineSvg, EmptyAndOddInputsRenderAnSvg) {
  for (const json& r : {json::object(), json(nullptr), json{{"series", {{"", json::array()}}}},
                        json{{"series", {{"", {{{"t_s", nullptr}}, {{"t_s", 1e12}}, {{"t_s", -5}}, 7}}}}},
                        json{{"run", {{"started_unix_us", kSampleStartUs}}},
                             {"faults", {{{"active_unix_us", kSampleStartUs - 5'000'000}}}}},
                        json{{"faults", {{{"active_unix_us", 1}, {"revert_confirmed_unix_us", 1'000'000'000'000'000}}}}}}) {
    std::string svg;
    ASSERT_NO_THROW(svg = render_timeline_svg(r)) << r.dump();
    EXPECT_EQ(svg.rfind("<svg ", 0), 0u) << r.dump();
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    EXPECT_EQ(count(svg, "nan"), 0) << r.dump();
    EXPECT_EQ(count(svg, "inf"), 0) << r.dump();
    EXPECT_LT(svg.size(), 2'000'000u) << r.dump();  // a bogus time cannot make a huge drawing
  }
}

TEST(TimelineSvg, SelfContained) {
  const std::string svg = render_timeline_svg(sample_report());
  for (const char* ref : {"href", "<image", "<script", "<style", "@import", "url(", "<foreignObject"}) {
    EXPECT_EQ(svg.find(ref), std::string::npos) << ref;
  }
  EXPECT_EQ(count(svg, "://"), 1);  // the SVG namespace's name, which is never fetched
}

TEST(TimelineSvg, EscapesUserText) {
  const std::string svg = render_timeline_svg(sample_report());
  EXPECT_NE(svg.find("guard slow &lt;hz&amp;sz&gt; tripped"), std::string::npos);
  EXPECT_EQ(svg.find("<hz&sz>"), std::string::npos);
}

}  // namespace
