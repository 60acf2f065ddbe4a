// Every CLI message that quotes a flag's value, fed non-ASCII, control
// characters and values far over the quoting cap (issue 15 section 2): exit 2,
// the flag or field named, and a message that is valid UTF-8, bounded, and
// carries no raw control or invisible character to the terminal.

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/strings.h"
#include "tests/support/text_checks.h"
#include "tests/injector/served_daemon.h"

namespace {

using Args = std::vector<std::string>;
constexpr const char* kNowhere = "unix:/nonexistent/x.sock";

// Starts with "v-", then 2-, 3- and 4-byte characters across the 64-byte cut,
// a terminal escape, a right-to-left override, a newline and an invalid byte.
std::string nasty() {
  std::string s = "v-" + std::string(58, 'x');
  for (int i = 0; i < 30; ++i) s += "\xD5\xA2\xE4\xB8\xAD\xF0\x9F\x98\x80\x1B[2J\xE2\x80\xAE\n\xFF";
  return s;
}

struct Case {
  const char* name;
  Args args;
  const char* names;  // the flag or field the message must name
};

Args fault_apply(const std::string& kind, Args flags) {
  Args a{"fault", "apply", "--daemon", kNowhere, kind, "--dev", "eth0"};
  a.insert(a.end(), flags.begin(), flags.end());
  return a;
}

std::vector<Case> cases() {
  const std::string n = nasty();
  const Args to{"--to", "10.0.0.0/8"};
  auto with_to = [&](Args more) {
    Args a = to;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  return {
      {"dev", {"fault", "apply", "--daemon", kNowhere, "cut", "--dev", n, "--to", "10.0.0.0/8"}, "--dev"},
      {"to", fault_apply("cut", {"--to", n}), "--to"},
      {"to file", fault_apply("cut", {"--to", "@/nonexistent/" + n}), "--to"},
      {"for", fault_apply("cut", with_to({"--for", n})), "--for"},
      {"lease", fault_apply("cut", with_to({"--lease", n})), "--lease"},
      {"label", fault_apply("cut", with_to({"--label", n})), "--label"},
      {"proto", fault_apply("cut", with_to({"--proto", n})), "protocol"},
      {"dport", fault_apply("cut", with_to({"--proto", "tcp", "--dport", n})), "--dport"},
      {"direction", fault_apply("cut", with_to({"--direction", n})), "direction"},
      {"backend", fault_apply("cut", with_to({"--backend", n})), "backend"},
      {"delay", fault_apply("delay", with_to({"--delay", n})), "--delay"},
      {"loss", fault_apply("loss", with_to({"--loss", n})), "--loss"},
      {"distribution", fault_apply("delay", with_to({"--delay", "10ms", "--jitter", "1ms", "--distribution", n})), "--distribution"},
      {"gap", fault_apply("delay", with_to({"--delay", "10ms", "--reorder", "5%", "--gap", n})), "--gap"},
      {"rate", fault_apply("bandwidth", with_to({"--rate", n})), "--rate"},
      {"daemon", {"fault", "list", "--daemon", n}, "daemon endpoint"},
  };
}

class CliQuoting : public ::testing::TestWithParam<Case> {};

TEST_P(CliQuoting, IsExit2NamingTheFlagWithAPrintableBoundedMessage) {
  const Case& c = GetParam();
  const auto r = injector::testing::run_cli(c.args);
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(c.names), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("v-xxxx"), std::string::npos) << "the value is quoted: " << r.err;
  ASSERT_TRUE(r.err.ends_with("\n")) << r.err;
  const std::string line = r.err.substr(0, r.err.size() - 1);
  EXPECT_NO_THROW((void)nlohmann::json(line).dump()) << "valid UTF-8: " << line;
  EXPECT_EQ(injector::testing::unprintable_in(line), "") << line;
  // The 64-byte slice of the value, its length and the flag's help: not the 1,000-byte value.
  // A file name is quoted whole (limits::kMaxQuotedPath), escaped.
  EXPECT_LT(line.size(), std::string(c.name) == "to file" ? 4600u : 500u) << line;
}

INSTANTIATE_TEST_SUITE_P(Flags, CliQuoting, ::testing::ValuesIn(cases()), [](const auto& p) {
  std::string n = p.param.name;
  for (char& ch : n) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return n;
});

}  // namespace
