// Error messages in the user's words (issue 15): what was wrong, named as the
// user typed it, and what to do.

#include "injector/flag_words.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/injector/served_daemon.h"

namespace {

using injector::cli::flag_for_field;
using injector::testing::CliResult;
using injector::testing::run_cli;

constexpr const char* kNowhere = "unix:/nonexistent/x.sock";

TEST(FlagWords, ApiFieldsBecomeTheFlagsThatSetThem) {
  EXPECT_EQ(flag_for_field("lifetime.duration_ms"), "--for");
  EXPECT_EQ(flag_for_field("match.to[3]"), "--to");
  EXPECT_EQ(flag_for_field("match.peer"), "--peer");
  EXPECT_EQ(flag_for_field("impairments.delay.time_us"), "--delay");
  EXPECT_EQ(flag_for_field("impairments.loss.gilbert_elliott.p_pct"), "--gemodel");
  EXPECT_EQ(flag_for_field("labels.team"), "--label");
  EXPECT_EQ(flag_for_field("device"), "--dev");
  EXPECT_EQ(flag_for_field("body"), "body") << "no flag of its own: unchanged";
  EXPECT_EQ(flag_for_field("devices"), "devices") << "a prefix only counts up to a '.' or '['";
}

TEST(FlagWords, MistypedSubcommandIsNamedWithTheNearestOne) {
  const CliResult r = run_cli({"fault", "aply", "--daemon", kNowhere});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown command 'aply' for `injector fault`"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean `injector fault apply`?"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("A subcommand is required"), std::string::npos) << r.err;
}

TEST(FlagWords, UnknownFlagIsNamedBeforeAMissingRequiredOne) {
  const CliResult r = run_cli({"fault", "apply", "--daemon", kNowhere, "cut", "--device", "eth0", "--peer", "10.0.0.0/8"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown flag '--device' for `injector fault apply cut`"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean --dev?"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--dev is required"), std::string::npos) << r.err;
  // Everything recognised: the parse error itself is the news.
  const CliResult missing = run_cli({"fault", "apply", "--daemon", kNowhere, "cut", "--peer", "10.0.0.0/8"});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.err.find("--dev is required"), std::string::npos) << missing.err;
}

TEST(FlagWords, ANumberWithoutAUnitSaysWhichUnitsWould) {
  const CliResult r = run_cli({"fault", "apply", "--daemon", kNowhere, "delay", "--dev", "eth0", "--peer", "10.0.0.0/8",
                               "--delay", "30"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--delay: time '30' has no unit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("30ms"), std::string::npos) << r.err;
}

// Unreachable with neither --daemon nor INJECTOR_DAEMON: the default was
// tried, and the message says how to name another daemon.
TEST(FlagWords, UnreachableDefaultDaemonMentionsDaemonFlagAndEnvironment) {
  if (std::filesystem::exists("/run/injector/injectord.sock")) GTEST_SKIP() << "a daemon serves the default socket here";
  const char* saved = getenv("INJECTOR_DAEMON");
  const std::string keep = saved ? saved : "";
  unsetenv("INJECTOR_DAEMON");
  const CliResult r = run_cli({"fault", "list"});
  if (saved) setenv("INJECTOR_DAEMON", keep.c_str(), 1);
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.err.find("--daemon"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("INJECTOR_DAEMON"), std::string::npos) << r.err;
  const CliResult named = run_cli({"fault", "list", "--daemon", kNowhere});
  EXPECT_EQ(named.rc, 3);
  EXPECT_EQ(named.err.find("INJECTOR_DAEMON"), std::string::npos) << "a daemon was named: no hint: " << named.err;
}

class FlagWordsServed : public injector::testing::ServedDaemon {};

// The daemon refuses `--for 25h` about lifetime.duration_ms; the CLI user
// typed --for, so that is what the message names.
TEST_F(FlagWordsServed, DaemonRefusalNamesTheFlag) {
  const CliResult r = fault({"apply", "cut", "--dev", "eth0", "--peer", "10.0.0.0/8", "--for", "25h"});
  EXPECT_EQ(r.rc, 4) << r.err;
  EXPECT_NE(r.err.find("--for: 25h is longer than"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("lifetime.duration_ms"), std::string::npos) << r.err;
}

}  // namespace
