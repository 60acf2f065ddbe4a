#include "tests/support/temp_dir.h"
#include "injector/cli.h"
#include "injector/output.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/field_error.h"
#include "tests/daemon/fake_tc.h"
#include "tests/injector/served_daemon.h"

namespace {

namespace cli = injector::cli;
using injector::testing::FakeTc;
using nlohmann::json;
using Args = std::vector<std::string>;

using injector::testing::TempDir;

using injector::testing::CliResult;
CliResult invoke(const Args& args) { return injector::testing::run_cli(args); }

Args apply_args(const std::string& daemon, std::vector<std::string> flags) {
  Args a{"fault", "apply", "--daemon", daemon, "cut"};
  a.insert(a.end(), flags.begin(), flags.end());
  return a;
}

constexpr const char* kNowhere = "unix:/nonexistent/x.sock";

TEST(Cli, Version) {
  const CliResult r = invoke({"--version"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out.rfind("injector 0.", 0), 0u) << r.out;
}

TEST(Cli, Help) {
  const CliResult r = invoke({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fault"), std::string::npos) << r.out;
}

TEST(Cli, UnreachableDaemonIs3) {
  const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "10.0.0.0/8"}));
  EXPECT_EQ(r.rc, cli::kUnreachable) << r.err;
  EXPECT_EQ(r.rc, 3);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("/nonexistent/x.sock"), std::string::npos) << r.err;
  EXPECT_EQ(invoke({"fault", "list", "--daemon", kNowhere}).rc, 3);
  EXPECT_EQ(invoke({"fault", "revert", "--all", "--daemon", kNowhere}).rc, 3);
}

TEST(Cli, BadCidrIs2AndPrintsNothing) {
  for (const char* to : {"10.0.0.1/8", "garbage", "10.0.0.0/8,10.0.0.0/33"}) {
    const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", to}));
    EXPECT_EQ(r.rc, 2) << to << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("--to"), std::string::npos) << r.err;
  }
  const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "10.0.0.0/8", "--from", "x"}));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
}

TEST(Cli, MissingTargetsIs2) {
  const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0"}));
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("--peer: no target networks given"), std::string::npos) << "in the CLI's words: " << r.err;
}

TEST(Cli, BadLifetimeIs2) {
  for (const char* life : {"5x", "0s", "-1m", "10", "2y"}) {
    const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "10.0.0.0/8", "--for", life}));
    EXPECT_EQ(r.rc, 2) << life << ": " << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find("--for"), std::string::npos) << r.err;
  }
}

TEST(Cli, OtherBadFlagsAre2) {
  EXPECT_EQ(invoke(apply_args(kNowhere, {"--to", "10.0.0.0/8"})).rc, 2);  // no --dev
  EXPECT_EQ(invoke(apply_args(kNowhere, {"--dev", "a/b", "--to", "10.0.0.0/8"})).rc, 2);
  EXPECT_EQ(invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "10.0.0.0/8", "--proto", "sctp"})).rc, 2);
  EXPECT_EQ(invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "10.0.0.0/8", "--label", "novalue"})).rc, 2);
  EXPECT_EQ(invoke(apply_args("tcp:127.0.0.1:1", {"--dev", "eth0", "--to", "10.0.0.0/8"})).rc, 2);
  EXPECT_EQ(invoke({"fault", "list", "--output", "yaml", "--daemon", kNowhere}).rc, 2);
}

TEST(Cli, RevertNeedsIdOrAll) {
  CliResult r = invoke({"fault", "revert", "--daemon", kNowhere});
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("--all"), std::string::npos) << r.err;
  r = invoke({"fault", "revert", "f-0123456789ab", "--all", "--daemon", kNowhere});
  EXPECT_EQ(r.rc, 2) << r.err;
}

TEST(Cli, UnknownSubcommandIs2) {
  EXPECT_EQ(invoke({"fault", "frobnicate"}).rc, 2);
  EXPECT_EQ(invoke({"frobnicate"}).rc, 2);
  EXPECT_EQ(invoke({}).rc, 2);
  EXPECT_EQ(invoke({"fault"}).rc, 2);
  EXPECT_EQ(invoke({"fault", "apply", "--daemon", kNowhere, "delay", "--dev", "eth0"}).rc, 2);
  const CliResult r = invoke({"fault", "get", "--daemon", kNowhere});  // id is required
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, ExpandTargetsFromFile) {
  TempDir dir;
  const std::string path = dir.file("targets.txt");
  std::ofstream(path) << "# site A\n10.0.0.0/8, 10.1.0.0/16\n\n  \nfd00::/64   # lab\n\t192.168.0.0/16\r\n#10.9.0.0/16\n";
  EXPECT_EQ(cli::expand_targets({"172.16.0.0/12", "@" + path, ""}),
            (Args{"172.16.0.0/12", "10.0.0.0/8", "10.1.0.0/16", "fd00::/64", "192.168.0.0/16"}));
  EXPECT_EQ(cli::expand_targets({"10.0.0.0/8"}), Args{"10.0.0.0/8"});
  EXPECT_TRUE(cli::expand_targets({}).empty());
}

TEST(Cli, ExpandTargetsMissingFile) {
  try {
    cli::expand_targets({"@/nonexistent/targets.txt"});
    FAIL() << "missing file accepted";
  } catch (const injector::FieldError& e) {
    EXPECT_NE(e.message().find("/nonexistent/targets.txt"), std::string::npos) << e.what();
  }
  const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "@/nonexistent/targets.txt"}));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("/nonexistent/targets.txt"), std::string::npos) << r.err;
}

TEST(Cli, MissingFromFileNamesFromFlag) {
  // The error must name the flag the user gave the file with.
  const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "10.0.0.0/8", "--from", "@/nonexistent/src.txt"}));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--to"), std::string::npos) << r.err;
}

TEST(Cli, TargetsFileWithBadLineIs2) {
  TempDir dir;
  const std::string path = dir.file("t.txt");
  std::ofstream(path) << "10.0.0.0/8\n10.0.0.1/8\n";
  const CliResult r = invoke(apply_args(kNowhere, {"--dev", "eth0", "--to", "@" + path}));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("10.0.0.1/8"), std::string::npos) << r.err;
}

class CliEndToEnd : public injector::testing::ServedDaemon {
 protected:
  void configure(FakeTc& fake) override { fake.foreign_roots.insert(fake.devices.at("eth9")); }
  std::string apply_ok(const std::string& to) {
    const CliResult r = invoke(apply_args(daemon(), {"--dev", "eth0", "--to", to, "--for", "5m", "--label", "drill=d1"}));
    EXPECT_EQ(r.rc, 0) << r.err;
    // Warnings only (these tests' faults overlap on purpose), never an error.
    EXPECT_EQ(r.err.find("injector: error"), std::string::npos) << r.err;
    EXPECT_FALSE(r.out.empty());
    return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
  }
};

TEST_F(CliEndToEnd, ApplyListGetRevert) {
  const std::string id = apply_ok("10.0.0.0/8,fd00::/64");
  EXPECT_EQ(id.rfind("f-", 0), 0u) << id;
  EXPECT_EQ(id.size(), 14u) << id;

  CliResult r = fault({"list", "--output", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json list = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(list.is_discarded()) << r.out;
  ASSERT_EQ(list["faults"].size(), 1u) << r.out;
  EXPECT_EQ(list["faults"][0]["id"], id);
  EXPECT_EQ(list["faults"][0]["spec"]["match"]["peer"], json::array({"10.0.0.0/8", "fd00::/64"}));
  EXPECT_EQ(list["faults"][0]["spec"]["lifetime"]["duration_ms"], 300000);
  EXPECT_EQ(list["faults"][0]["spec"]["labels"]["drill"], "d1");

  r = fault({"list"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("drill=d1"), std::string::npos) << r.out;

  r = fault({"get", id});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("id:         " + id), std::string::npos) << r.out;

  r = fault({"revert", id});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "reverted " + id + "\n");

  r = fault({"list"});
  EXPECT_EQ(r.out, "no active faults\n");
}

TEST_F(CliEndToEnd, ApplyJsonOutputAndRevertAll) {
  const CliResult r = invoke({"fault", "apply", "--output", "json", "--daemon", daemon(), "cut", "--dev", "eth0", "--to",
                     "10.0.0.0/8"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const std::string a = j.value("id", "");
  const std::string b = apply_ok("10.1.0.0/16");
  const CliResult all = fault({"revert", "--all"});
  EXPECT_EQ(all.rc, 0) << all.err;
  EXPECT_NE(all.out.find("reverted " + a + "\n"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("reverted " + b + "\n"), std::string::npos) << all.out;
  EXPECT_EQ(fault({"revert", "--all"}).out, "nothing to revert\n");
}

TEST_F(CliEndToEnd, UnknownIdIs5) {
  CliResult r = fault({"get", "f-000000000000"});
  EXPECT_EQ(r.rc, 5) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("f-000000000000"), std::string::npos) << r.err;
  r = fault({"revert", "f-000000000000"});
  EXPECT_EQ(r.rc, 5) << r.err;
}

TEST_F(CliEndToEnd, ForeignRootIs6) {
  const CliResult r = invoke(apply_args(daemon(), {"--dev", "eth9", "--to", "10.0.0.0/8"}));
  EXPECT_EQ(r.rc, 6) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("eth9"), std::string::npos) << r.err;
}

TEST_F(CliEndToEnd, DaemonRejectionIs4) {
  // Valid as far as the CLI can tell, but the daemon has no such device.
  const CliResult r = invoke(apply_args(daemon(), {"--dev", "nope0", "--to", "10.0.0.0/8"}));
  EXPECT_EQ(r.rc, 4) << r.err;
  EXPECT_NE(r.err.find("--dev: no device named 'nope0'"), std::string::npos) << "the flag, not the API field: " << r.err;
}

}  // namespace

TEST_F(CliEndToEnd, BackendFlagReachesTheDaemon) {
  CliResult r = invoke({"fault", "apply", "--output", "json", "--daemon", daemon(), "delay", "--delay", "10ms", "--dev",
                        "eth0", "--to", "10.0.0.0/8", "--backend", "netem"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  EXPECT_EQ(j.value("backend", ""), "netem") << r.out;
  EXPECT_EQ(j["spec"].value("backend", ""), "netem") << r.out;
  r = fault({"get", j.value("id", "")});
  EXPECT_NE(r.out.find("backend:    traffic control (netem leaf) (asked: netem)"), std::string::npos) << r.out;
  // This daemon has no delay line: asking for it is refused, naming what is missing.
  r = invoke({"fault", "apply", "--daemon", daemon(), "delay", "--delay", "10ms", "--dev", "eth0", "--to",
              "10.1.0.0/16", "--backend", "delayline"});
  EXPECT_EQ(r.rc, 8) << r.err;
  EXPECT_NE(r.err.find("nfnetlink_queue"), std::string::npos) << r.err;
  r = invoke({"fault", "apply", "--daemon", daemon(), "delay", "--delay", "10ms", "--dev", "eth0", "--to",
              "10.1.0.0/16", "--backend", "ebpf"});
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("backend"), std::string::npos) << r.err;
}

TEST_F(CliEndToEnd, ListAndRevertByLabel) {
  const std::string d1 = apply_ok("10.0.0.0/8");  // drill=d1
  const CliResult other = invoke(apply_args(daemon(), {"--dev", "eth0", "--to", "10.9.0.0/16", "--label", "drill=d 2"}));
  ASSERT_EQ(other.rc, 0) << other.err;
  const std::string d2 = other.out.substr(0, other.out.size() - 1);
  CliResult r = fault({"list", "--label", "drill=d 2", "--output", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json list = json::parse(r.out, nullptr, false);
  ASSERT_EQ(list["faults"].size(), 1u) << r.out;
  EXPECT_EQ(list["faults"][0]["id"], d2) << "a value with a space survives the query encoding";
  EXPECT_EQ(fault({"revert", "--label", "drill=d1", "--all"}).rc, 2) << "one of id, --all, --label";
  EXPECT_EQ(fault({"list", "--label", "nolabel"}).rc, 2);
  r = fault({"revert", "--label", "drill=d1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "reverted " + d1 + "\n");
  EXPECT_NE(fault({"list"}).out.find(d2), std::string::npos) << "the other stays";
}

namespace {

TEST_F(CliEndToEnd, IncludeControlPathOptsTheFaultOut) {
  CliResult r = invoke(apply_args(daemon(), {"--dev", "eth0", "--to", "10.0.0.0/8", "--include-control-path"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string id = r.out.substr(0, r.out.size() - 1);
  r = fault({"get", id, "--output", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json f = json::parse(r.out, nullptr, false);
  EXPECT_EQ(f["spec"].value("control_path", ""), "include") << r.out;
  r = fault({"get", id});
  EXPECT_NE(r.out.find("excluded:   none (control path included)"), std::string::npos) << r.out;
  // Without the flag the spec asks for the default, exclude.
  const std::string spared = apply_ok("10.1.0.0/16");
  r = fault({"get", spared, "--output", "json"});
  EXPECT_EQ(json::parse(r.out, nullptr, false)["spec"].value("control_path", ""), "exclude") << r.out;
}

TEST(CliOutput, FaultGetListsWhatWasExcluded) {
  const json f = {{"id", "f-1"},
                  {"spec", {{"match", json::object()}, {"control_path", "exclude"}}},
                  {"excluded", {{{"text", "tcp local port 22"}}, {{"text", "any protocol with 10.0.0.0/8"}}}}};
  std::ostringstream out;
  injector::cli::print_fault_detail(f, out);
  EXPECT_NE(out.str().find("excluded:   tcp local port 22, any protocol with 10.0.0.0/8\n"), std::string::npos)
      << out.str();
}

}  // namespace
