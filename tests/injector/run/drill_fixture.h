#pragma once
// `injector run PLAYBOOK --no-faults --report DIR` in-process, the way an
// SRE or a CI job runs it, on a playbook written to a temp dir: its exit
// code, what it printed, and the report.json it wrote.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "injector/cli.h"
#include "tests/support/temp_dir.h"

namespace injector::testing {

struct DrillRun {
  int rc = -1;
  std::string out, err;
  nlohmann::json report;  // null when none was written
};

class DrillDir {
 public:
  // Writes the playbook, runs it with --no-faults, reads report.json.
  DrillRun run(const std::string& playbook_yaml) {
    const std::string file = dir_.file("drill-" + std::to_string(++runs_) + ".yaml");
    const std::string report = dir_.file("report-" + std::to_string(runs_));
    std::ofstream(file) << playbook_yaml;
    std::ostringstream out, err;
    DrillRun r;
    r.rc = cli::run({"run", file, "--no-faults", "--report", report}, out, err);
    r.out = out.str();
    r.err = err.str();
    std::ifstream in(report + "/report.json");
    if (in) r.report = nlohmann::json::parse(in, nullptr, false);
    last_report_dir_ = report;
    return r;
  }
  const std::string& last_report_dir() const { return last_report_dir_; }

 private:
  TempDir dir_{"drilltest"};
  int runs_ = 0;
  std::string last_report_dir_;
};

// A playbook with the built-in payment workload against `api` (a stand-in)
// and the given steps; `extra` goes at the top level (guards, probes).
// Payments that are not final are given up after 3 s, so a stand-in that
// fails everything does not hold the run for the default 30 s.
inline std::string payments_playbook(const std::string& api, const std::string& steps,
                                     const std::string& extra = "") {
  return "version: 1\n"
         "name: checker-test\n"
         "safety: {max_duration: 30s}\n"
         "workload:\n"
         "  payments: {api: " + api + ", rate: 100, accounts: 20, give_up_after: 3s}\n" +
         extra + "steps:\n" + steps;
}

// What junitparser reads in the last run's junit.xml, against
// "NAME=pass|failure|error|skipped" per testcase (tests/injector/run/junit_check.py):
// empty when all agree, else what differs.
inline std::string junit_mismatches(const std::string& report_dir, const std::vector<std::string>& wants) {
  std::string cmd = "/usr/bin/python3 " INJECTOR_SOURCE_DIR "/tests/injector/run/junit_check.py '" + report_dir +
                    "/junit.xml'";
  for (const auto& w : wants) cmd += " '" + w + "'";
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return "could not run " + cmd;
  std::string out;
  char buf[512];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  if (status == 0) return "";
  return out.empty() ? cmd + ": exit status " + std::to_string(status) : out;
}

// A loopback port with nothing listening, for as long as the object lives:
// bound and never listened on, so a connection to it is refused, and no
// other socket (not even a client's own end, which would connect to itself)
// can take the port meanwhile.
class ClosedPort {
 public:
  ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "no loopback port";
    }
    port_ = ntohs(a.sin_port);
  }
  ~ClosedPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

// The entry of a report array (invariants, probes, guards) with this name.
inline nlohmann::json named(const nlohmann::json& list, const std::string& name) {
  for (const auto& e : list) {
    if (e.value("name", "") == name) return e;
  }
  ADD_FAILURE() << "no entry named " << name << " in " << list.dump();
  return nlohmann::json::object();
}

}  // namespace injector::testing
