#pragma once
// The real `injector run` on a payments lab, as an operator runs it: the
// binary started in the users' namespace (`ip netns exec` execs it in place,
// so the child's pid is the injector's own and signals reach it, not `ip`),
// a small playbook written to a temp dir, and its report.json read back.
// Faults are counted by asking every daemon of the inventory directly.

#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "injector/fleet/fleet_client.h"
#include "support/payments_lab.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace injector::testing {

inline std::string injector_bin() { return std::string(BUILD_DIR) + "/injector/injector"; }
inline std::string lab_inventory(const PaymentsLab& lab) { return "/run/injector-lab/" + lab.prefix() + "/inventory.yaml"; }

class DrillCli {
 public:
  DrillCli(const PaymentsLab& lab, const TempDir& dir) : lab_(lab), dir_(dir) {}

  // Writes `yaml` as NAME.yaml in the temp dir; returns its path.
  std::string playbook(const std::string& name, const std::string& yaml) const {
    const std::string path = dir_.file(name + ".yaml");
    std::ofstream(path) << yaml;
    return path;
  }
  std::string report_dir(const std::string& name) const { return dir_.file("report-" + name); }

  // `injector run FILE --inventory INV --report DIR [extra...]`, started, not awaited.
  std::unique_ptr<ChildProcess> start(const std::string& file, const std::string& name,
                                      const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {"ip", "netns", "exec", lab_.users_netns(), injector_bin(), "run", file,
                                     "--inventory", lab_inventory(lab_), "--report", report_dir(name)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, dir_.file(name + ".log"));
  }
  // Any other injector command, run to completion in the users' namespace.
  int command(const std::vector<std::string>& args, const std::string& log, std::string* output = nullptr) const {
    std::vector<std::string> argv = {"ip", "netns", "exec", lab_.users_netns(), injector_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess p(argv, dir_.file(log));
    const auto rc = p.wait_exit(std::chrono::seconds(30));
    if (output) *output = p.log();
    return rc.value_or(-1);
  }

  nlohmann::json report(const std::string& name) const {
    std::ifstream in(report_dir(name) + "/report.json");
    if (!in) return nullptr;
    return nlohmann::json::parse(in, nullptr, false);
  }

 private:
  const PaymentsLab& lab_;
  const TempDir& dir_;
};

// Faults every daemon of the lab holds now, optionally only those whose
// labels have key=value; -1 if a daemon did not answer (never "0 faults").
inline int lab_faults(const PaymentsLab& lab, const std::string& key = "", const std::string& value = "") {
  int n = 0;
  for (const auto& r : fleet::call_each(lab.inventory(), "GET", "/v1/faults")) {
    if (!r.ok() || !r.body.contains("faults")) return -1;
    for (const auto& f : r.body["faults"]) {
      const auto labels = f.value("spec", nlohmann::json::object()).value("labels", nlohmann::json::object());
      if (key.empty() || (labels.contains(key) && labels[key] == value)) ++n;
    }
  }
  return n;
}

}  // namespace injector::testing
