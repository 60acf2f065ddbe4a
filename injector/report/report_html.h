#pragma once
// report.html: the drill for people reading it together afterwards. One
// self-contained file (inline CSS, the timeline as inline SVG, no script, and
// nothing that makes a network request: no external stylesheet, font, image
// or link): the verdict and its reason on top, the summary figures, the
// timeline, then the tables. Every user string is escaped.

#include <nlohmann/json.hpp>

#include <string>

namespace injector::report {

std::string render_report_html(const nlohmann::json& report);

}  // namespace injector::report
