// ${NAME} substitution: where it happens, what an unresolved name reports,
// --var overrides and the $${ escape.
#include "injector/playbook/vars.h"

#include <gtest/gtest.h>

#include "tests/injector/playbook/playbook_test_util.h"

namespace {

using namespace injector::playbook;
using namespace injector::playbook::testing;
using std::chrono::milliseconds;

const Millis& cut_for(const Playbook& pb) { return std::get<InjectStep>(pb.steps[1].action).duration; }

TEST(PlaybookVars, DeclaredVarsAreSubstitutedBeforeTyping) {
  const auto r = parse_playbook(kValid);
  ASSERT_TRUE(r.ok()) << listed(r.errors);
  EXPECT_EQ(cut_for(r.playbook), milliseconds(5000));
}

TEST(PlaybookVars, AnUnresolvedNameIsReportedWhereItIsUsed) {
  const auto errors = all_errors(with("for: ${hold}", "for: ${holdd}"));
  ASSERT_EQ(errors.size(), 1u) << listed(errors);
  const auto e = only_error_at(errors, "steps[1].inject.for");
  EXPECT_EQ(e.message(), "unresolved variable ${holdd}");
  EXPECT_NE(e.allowed().find("hold, name"), std::string::npos) << e.allowed();  // what is declared
  // Inside a longer text and in a list, with the list index in the path.
  const auto in_list = all_errors(with("revert: [cut]", "revert: [\"c${x}t\"]"));
  EXPECT_EQ(only_error_at(in_list, "steps[4].revert[0]").message(), "unresolved variable ${x}");
  const auto bad = all_errors(with("for: ${hold}", "for: ${1hold}"));
  only_error_at(bad, "steps[1].inject.for");
  const auto open = all_errors(with("for: ${hold}", "for: ${hold"));
  EXPECT_EQ(only_error_at(open, "steps[1].inject.for").message(), "'${' without a closing '}'");
}

TEST(PlaybookVars, OverridesWinAndMayAddNames) {
  Errors errors;
  const VarMap overrides = parse_var_flags({"hold=2s", "extra=1", "hold=3s"}, errors);
  ASSERT_TRUE(errors.empty()) << listed(errors);
  const auto r = parse_playbook(with("wait: 1s\n  - id: cut", "wait: ${extra}s\n  - id: cut"), overrides);
  ASSERT_TRUE(r.ok()) << listed(r.errors);
  EXPECT_EQ(cut_for(r.playbook), milliseconds(3000));  // the last --var wins over vars:
  EXPECT_EQ(std::get<WaitAction>(r.playbook.steps[0].action).duration, milliseconds(1000));
  EXPECT_EQ(r.playbook.vars.at("hold"), "3s");
}

TEST(PlaybookVars, BadVarFlagsAreErrors) {
  Errors errors;
  parse_var_flags({"novalue", "1x=2", "name=other", "ok="}, errors);
  ASSERT_EQ(errors.size(), 3u) << listed(errors);
  for (const auto& e : errors) EXPECT_EQ(e.field(), "--var");
}

TEST(PlaybookVars, DollarDollarBraceIsALiteral) {
  const auto r = parse_playbook(with("name: t\n", "name: t\ndescription: \"costs $${price}, ${name}\"\n"));
  ASSERT_TRUE(r.ok()) << listed(r.errors);
  EXPECT_EQ(r.playbook.description, "costs ${price}, t");  // and ${name} is built in
}

TEST(PlaybookVars, InsertedValuesAreNotExpandedAgain) {
  Errors errors;
  const VarMap vars{{"a", "${b}"}, {"b", "x"}};
  EXPECT_EQ(substitute("<${a}>", vars, "p", errors), "<${b}>");
  EXPECT_TRUE(errors.empty()) << listed(errors);
}

TEST(PlaybookVars, VarValuesMayUseOnlyTheBuiltIns) {
  const auto ok = parse_playbook(with("vars: {hold: 5s}", "vars: {hold: 5s, dir: \"reports/${name}\"}"));
  ASSERT_TRUE(ok.ok()) << listed(ok.errors);
  EXPECT_EQ(ok.playbook.vars.at("dir"), "reports/t");
  const auto errors = all_errors(with("vars: {hold: 5s}", "vars: {hold: 5s, other: \"${hold}\"}"));
  EXPECT_EQ(only_error_at(errors, "vars.other").message(), "unresolved variable ${hold}");
  const auto reserved = all_errors(with("vars: {hold: 5s}", "vars: {hold: 5s, name: x}"));
  only_error_at(reserved, "vars.name");
  const auto list = all_errors(with("vars: {hold: 5s}", "vars: {hold: [5s]}"));
  only_error_at(list, "vars.hold");
}

}  // namespace
