#pragma once
// timeline.svg: for all datacenters together and then each one, payments
// ok / fail / unknown per second (stacked) and latency p50 / p99 over time;
// every fault window a shaded, labelled band (one <rect class="fault-band"
// data-fault="N"> per fault per panel, N its index in "faults"), every guard
// trip a marked vertical line (class "guard-trip"). Self-contained: no
// external font, stylesheet or script. A fault that never became active has
// no window and no band; one whose revert was not confirmed runs to the end.

#include <nlohmann/json.hpp>

#include <string>

namespace injector::report {

std::string render_timeline_svg(const nlohmann::json& report);

}  // namespace injector::report
