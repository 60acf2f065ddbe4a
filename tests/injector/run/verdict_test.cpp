#include "injector/run/verdict.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using injector::run::Verdict;
using injector::run::VerdictBook;

// The order, worst first (130 sits under 23: the operator stopped a
// drill whose reverts were all confirmed).
const std::vector<Verdict> kWorstFirst = {Verdict::rollback_incomplete, Verdict::interrupted,
                                          Verdict::invariant_violated,  Verdict::guard_aborted,
                                          Verdict::expectation_failed,  Verdict::unknown,
                                          Verdict::pass};

TEST(Verdict, ExitCodesAreTheDocumentedOnes) {
  using injector::run::exit_code;
  EXPECT_EQ(exit_code(Verdict::pass), 0);
  EXPECT_EQ(exit_code(Verdict::invalid), 2);
  EXPECT_EQ(exit_code(Verdict::expectation_failed), 20);
  EXPECT_EQ(exit_code(Verdict::invariant_violated), 21);
  EXPECT_EQ(exit_code(Verdict::guard_aborted), 22);
  EXPECT_EQ(exit_code(Verdict::rollback_incomplete), 23);
  EXPECT_EQ(exit_code(Verdict::unknown), 24);
  EXPECT_EQ(exit_code(Verdict::preflight_refused), 25);
  EXPECT_EQ(exit_code(Verdict::interrupted), 130);
}

TEST(Verdict, TheWorstWinsWhicheverComesFirst) {
  for (std::size_t i = 0; i < kWorstFirst.size(); ++i) {
    for (std::size_t j = i; j < kWorstFirst.size(); ++j) {
      const Verdict bad = kWorstFirst[i], milder = kWorstFirst[j];
      EXPECT_EQ(injector::run::worst(bad, milder), bad) << to_string(bad) << " vs " << to_string(milder);
      EXPECT_EQ(injector::run::worst(milder, bad), bad) << to_string(milder) << " vs " << to_string(bad);
    }
  }
}

TEST(Verdict, TheBookKeepsTheWorstAndTheFirstReasonForIt) {
  VerdictBook book;
  EXPECT_EQ(book.verdict(), Verdict::pass);
  book.add(Verdict::unknown, "guard saw nothing");
  book.add(Verdict::expectation_failed, "longest_gap 1.2s");
  book.add(Verdict::expectation_failed, "rto 9s");  // no worse: the first reason stays
  EXPECT_EQ(book.verdict(), Verdict::expectation_failed);
  EXPECT_EQ(book.reason(), "longest_gap 1.2s");
  book.add(Verdict::invariant_violated, "3 lost");
  book.add(Verdict::guard_aborted, "collapse tripped");  // milder than 21: ignored
  book.add(Verdict::pass, "");
  EXPECT_EQ(book.verdict(), Verdict::invariant_violated);
  EXPECT_EQ(book.reason(), "3 lost");
  book.add(Verdict::rollback_incomplete, "hz-1 did not confirm");
  EXPECT_EQ(injector::run::exit_code(book.verdict()), 23);
  EXPECT_EQ(book.reason(), "hz-1 did not confirm");
}

TEST(Verdict, TheHelpListsTheOrder) {
  EXPECT_NE(std::string(injector::run::kRunExitCodes).find("23, 130, 21, 22, 20, 24"), std::string::npos);
}

}  // namespace
