// Probes in a drill, end to end with `injector run --no-faults`: a target
// that does not answer is an observation about the system (fail, exit 20),
// never a tool error; a monitoring server that is down is the checker's
// blindness (unknown, exit 24), never a pass. Each run carries its positive
// control: a probe of the same kind on a live loopback server, which passes.

#include <gtest/gtest.h>

#include "tests/injector/run/drill_fixture.h"
#include "tests/support/loopback_http.h"

namespace {

using injector::testing::ClosedPort;
using injector::testing::DrillDir;
using injector::testing::LoopbackHttp;
using injector::testing::named;
using nlohmann::json;

// A service's health endpoint, and a Prometheus whose one series is up = 1.
class LiveServer {
 public:
  LiveServer() {
    http_.server().Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    http_.server().Get("/api/v1/query", [](const httplib::Request&, httplib::Response& res) {
      const json answer = {{"status", "success"},
                           {"data", {{"resultType", "vector"},
                                     {"result", json::array({{{"metric", json::object()},
                                                              {"value", {1.7e9, "1"}}}})}}}};
      res.set_content(answer.dump(), "application/json");
    });
    http_.start();
  }
  std::string url() const { return http_.url(); }

 private:
  LoopbackHttp http_;
};

std::string probes_playbook(const std::string& probes, const std::string& names) {
  std::string expect;
  std::string sep;
  for (std::size_t at = 0, next; at < names.size(); at = next + 1) {
    next = names.find(',', at);
    if (next == std::string::npos) next = names.size();
    expect += sep + "{metric: probe." + names.substr(at, next - at) + ", op: \">=\", value: 0.9}";
    sep = ", ";
  }
  return "version: 1\nname: probe-test\nsafety: {max_duration: 30s}\nprobes:\n" + probes +
         "steps:\n  - wait: 2s\n  - expect: [" + expect + "]\n";
}

std::string http_probe(const std::string& name, const std::string& url) {
  return "  - {name: " + name + ", interval: 200ms, timeout: 500ms, http: {url: " + url + "}}\n";
}

std::string prometheus_probe(const std::string& name, const std::string& url) {
  return "  - {name: " + name + ", interval: 200ms, timeout: 500ms, prometheus: {url: " + url +
         ", query: up, op: \">=\", value: 1}}\n";
}

const json& expectation(const json& report, const std::string& probe) {
  for (const auto& x : report["expectations"]) {
    if (x.value("probe", "") == probe) return x;
  }
  static const json none;
  ADD_FAILURE() << "no expectation on probe." << probe;
  return none;
}

// Fails if an unreachable target made the tool fail (an error exit, or
// unknown results) or passed; or if the live probe beside it did not pass.
TEST(DrillProbes, AnUnreachableTargetIsAFailedObservation) {
  LiveServer live;
  DrillDir dir;
  const ClosedPort closed;
  const std::string nowhere = closed.url() + "/health";
  const auto r = dir.run(probes_playbook(http_probe("live", live.url() + "/health") + http_probe("gone", nowhere),
                                         "live,gone"));
  ASSERT_EQ(r.rc, 20) << r.out << r.err;
  const json gone = named(r.report["probes"], "gone");
  EXPECT_GT(gone["fail"].get<int>(), 0) << gone.dump();
  EXPECT_EQ(gone["unknown"], 0) << gone.dump();
  EXPECT_EQ(gone["ok"], 0) << gone.dump();
  EXPECT_EQ(expectation(r.report, "gone")["result"], "fail");
  const json ok = named(r.report["probes"], "live");
  EXPECT_GT(ok["ok"].get<int>(), 0) << ok.dump();
  EXPECT_EQ(ok["fail"], 0) << ok.dump();
  EXPECT_EQ(expectation(r.report, "live")["result"], "pass");
}

// Fails if a Prometheus that does not answer counted as a pass or as the
// system's failure (20), or if the working Prometheus beside it did not pass.
TEST(DrillProbes, APrometheusThatIsDownIsUnknownNeverAPass) {
  LiveServer live;
  DrillDir dir;
  const ClosedPort closed;
  const std::string down = closed.url();
  const auto r = dir.run(probes_playbook(prometheus_probe("metrics", live.url()) + prometheus_probe("blind", down),
                                         "metrics,blind"));
  ASSERT_EQ(r.rc, 24) << r.out << r.err;
  EXPECT_EQ(r.report["verdict"]["result"], "unknown");
  const json blind = named(r.report["probes"], "blind");
  EXPECT_GT(blind["unknown"].get<int>(), 0) << blind.dump();
  EXPECT_EQ(blind["ok"], 0) << blind.dump();
  EXPECT_EQ(blind["fail"], 0) << blind.dump();
  EXPECT_EQ(expectation(r.report, "blind")["result"], "unknown");
  const json seen = named(r.report["probes"], "metrics");
  EXPECT_GT(seen["ok"].get<int>(), 0) << seen.dump();
  EXPECT_EQ(expectation(r.report, "metrics")["result"], "pass");
}

// A guard whose probe never gives a decisive result watched nothing: the
// drill is unknown (24), never a pass. Fails if a guard that saw no data in
// any evaluation counted as holding, or if guards never ran; the guard on
// the live probe beside it evaluates with data and holds.
TEST(DrillProbes, AGuardThatSawNothingMakesTheDrillUnknown) {
  LiveServer live;
  DrillDir dir;
  const ClosedPort closed;
  const std::string down = closed.url();
  const auto r = dir.run("version: 1\nname: blind-guard\nsafety: {max_duration: 30s}\nprobes:\n" +
                         prometheus_probe("metrics", live.url()) + prometheus_probe("blind", down) +
                         "guards:\n"
                         "  - {name: seen, expect: {metric: probe.metrics, op: \">=\", value: 0.5, window: 1s, for: 2}}\n"
                         "  - {name: unseen, expect: {metric: probe.blind, op: \">=\", value: 0.5, window: 1s, for: 2}}\n"
                         "steps:\n  - inject: {partition: {isolate: hz}, for: 2s}\n");
  ASSERT_EQ(r.rc, 24) << r.out << r.err;
  const json unseen = named(r.report["guards"], "unseen");
  EXPECT_FALSE(unseen["tripped"].get<bool>());
  EXPECT_GT(unseen["evaluations"].get<int>(), 0) << unseen.dump();
  EXPECT_EQ(unseen["no_data"], unseen["evaluations"]) << unseen.dump();
  const json seen = named(r.report["guards"], "seen");
  EXPECT_FALSE(seen["tripped"].get<bool>());
  EXPECT_LT(seen["no_data"].get<int>(), seen["evaluations"].get<int>()) << seen.dump();
  EXPECT_NE(r.report["verdict"]["reason"].get<std::string>().find("unseen"), std::string::npos)
      << r.report["verdict"].dump();
}

}  // namespace
