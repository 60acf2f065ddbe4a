// `injector playbook validate` through the CLI's entry point: exit codes,
// one error per line with its path, --var before the file, --output json.
#include "injector/playbook/playbook_cli.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "injector/cli.h"
#include "tests/injector/playbook/playbook_test_util.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector::playbook::testing;
using Args = std::vector<std::string>;

struct Run {
  int rc;
  std::string out, err;
};

Run validate(const Args& extra) {
  Args args{"playbook", "validate"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream out, err;
  const int rc = injector::cli::run(args, out, err);
  return {rc, out.str(), err.str()};
}

class PlaybookCli : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir.file(name)) << text;
    return dir.file(name);
  }
  injector::testing::TempDir dir{"pbcli"};
};

TEST_F(PlaybookCli, AValidPlaybookExits0WithASummary) {
  const auto r = validate({write("ok.yaml", kValid)});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "valid: t (5 steps, 1 probes, 1 guards)\n");
}

TEST_F(PlaybookCli, AnInvalidPlaybookExits2ListingEveryErrorWithItsPath) {
  std::string yaml = with("for: ${hold}", "for: ${holdd}");
  yaml = with("{isolate: hz}", "{isolate: hz, zone: a}", yaml);
  const auto r = validate({write("bad.yaml", yaml)});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("steps[1].inject.for: unresolved variable ${holdd} (allowed: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("steps[1].inject.partition.zone: unknown key (allowed: isolate, groups, one_way)\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
  EXPECT_NE(r.err.find("2 error(s); nothing was sent"), std::string::npos) << r.err;
}

TEST_F(PlaybookCli, VarFlagsResolveAndMayComeBeforeTheFile) {
  const std::string file = write("var.yaml", with("vars: {hold: 5s}", "vars: {}"));
  EXPECT_EQ(validate({file}).rc, 2);
  const auto r = validate({"--var", "hold=2s", file, "--var", "unused=1"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
}

TEST_F(PlaybookCli, JsonOutput) {
  const auto bad = validate({write("bad.yaml", with("    wait: 1s\n", "    wait: never\n")), "--output", "json"});
  EXPECT_EQ(bad.rc, 2);
  const auto doc = nlohmann::json::parse(bad.out);
  EXPECT_EQ(doc["valid"], false);
  ASSERT_EQ(doc["errors"].size(), 1u) << bad.out;
  EXPECT_EQ(doc["errors"][0]["path"], "steps[0].wait");
  EXPECT_EQ(doc["errors"][0]["message"], "'never' is not a duration");
  EXPECT_FALSE(doc["errors"][0]["allowed"].get<std::string>().empty());
  const auto ok = validate({write("ok.yaml", kValid), "--output", "json"});
  EXPECT_EQ(ok.rc, 0);
  EXPECT_EQ(nlohmann::json::parse(ok.out)["valid"], true);
}

TEST_F(PlaybookCli, InventoryFlagChecksNamesAndMustBeReadable) {
  const std::string file = write("ok.yaml", kValid);
  const auto missing = validate({file, "--inventory", dir.file("nope.yaml")});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_EQ(missing.out.rfind("--inventory: ", 0), 0u) << missing.out;
  const std::string inv = write("inv.yaml", R"(
version: 1
datacenters: [{name: sh, cidrs: [10.77.2.0/24]}]
hosts: []
)");
  const auto names = validate({file, "--inventory", inv});
  EXPECT_EQ(names.rc, 2);
  EXPECT_NE(names.out.find("steps[1].inject.partition.isolate: no datacenter named 'hz'"), std::string::npos) << names.out;
}

TEST_F(PlaybookCli, ThePlaybooksOwnInventoryIsRelativeToItAndOptional) {
  const std::string yaml = with("name: t\n", "name: t\ninventory: fleet.yaml\n");
  const auto absent = validate({write("pb.yaml", yaml)});
  EXPECT_EQ(absent.rc, 0) << absent.out;
  EXPECT_NE(absent.err.find("names were not checked"), std::string::npos) << absent.err;
  write("fleet.yaml", "version: 1\ndatacenters: [{name: sh, cidrs: [10.77.2.0/24]}]\nhosts: []\n");
  const auto present = validate({dir.file("pb.yaml")});
  EXPECT_EQ(present.rc, 2);
  EXPECT_NE(present.out.find("no datacenter named 'hz'"), std::string::npos) << present.out;
}

TEST_F(PlaybookCli, HelpDocumentsTheExitCodes) {
  const auto r = validate({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("2  the playbook or the flags are invalid"), std::string::npos) << r.out;
}

}  // namespace
