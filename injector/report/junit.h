#pragma once
// junit.xml: the drill for CI systems. One <testsuite> named after the
// playbook; a <testcase> per expectation, guard and invariant and one for the
// rollback. A fail is a <failure> (measured against expected), an unknown an
// <error> (the checker could not decide: never a pass). When the verdict is
// not a pass but no testcase says so (a refused preflight, an interrupted
// run), a "verdict" testcase with an <error> carries the reason, so a CI never
// shows a drill that did not pass as green.

#include <nlohmann/json.hpp>

#include <string>

namespace injector::report {

std::string render_junit(const nlohmann::json& report);

}  // namespace injector::report
