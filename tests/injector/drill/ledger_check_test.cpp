#include "injector/drill/ledger_check.h"

#include <gtest/gtest.h>

namespace {

using injector::drill::check_ledger;
using injector::drill::LedgerSnapshot;
using injector::drill::Outcome;
using injector::drill::parse_snapshot;
using injector::drill::SentPayment;
using nlohmann::json;

// Three accounts of 100; the users sent k-0 (0->1, 30, applied) and k-1
// (1->2, 500, declined); the ledger agrees.
struct Drill {
  json snapshot = {
      {"revision", "40"},
      {"config", {{"total_minor", 300}, {"balance_minor", 100}}},
      {"accounts", json::array({{{"id", 0}, {"balance_minor", 70}},
                                {{"id", 1}, {"balance_minor", 130}},
                                {{"id", 2}, {"balance_minor", 100}}})},
      {"payments", json::array({{{"key", "k-0"}, {"status", "applied"}, {"from", 0}, {"to", 1},
                                 {"amount_minor", 30}, {"currency", "CNY"}, {"revision", "31"}},
                                {{"key", "k-1"}, {"status", "declined"}, {"from", 1}, {"to", 2},
                                 {"amount_minor", 500}, {"currency", "CNY"}, {"revision", "35"}}})}};
  std::vector<SentPayment> sent = {payment("k-0", 0, 1, 30, Outcome::kApplied, 1000, 2000),
                                   payment("k-1", 1, 2, 500, Outcome::kDeclined, 3000, 4000)};

  static SentPayment payment(std::string key, std::int64_t from, std::int64_t to, std::int64_t amount, Outcome o,
                             std::int64_t start_us, std::int64_t end_us) {
    SentPayment p;
    p.key = std::move(key);
    p.request = {from, to, amount, "CNY"};
    p.outcome = o;
    p.attempts.push_back({start_us, end_us, o == Outcome::kUnknown ? 0 : 201, "hz", false});
    return p;
  }
  injector::drill::LedgerVerdict verdict() const { return check_ledger(parse_snapshot(snapshot), sent, "k-"); }
};

TEST(LedgerCheck, AgreeingLedgerPasses) {
  const auto v = Drill().verdict();
  EXPECT_TRUE(v.ok()) << v.to_json().dump(2);
  EXPECT_EQ(v.balance_sum, 300);
}

TEST(LedgerCheck, AnAcknowledgedPaymentMissingFromTheLedgerIsLost) {
  Drill d;
  d.snapshot["payments"].erase(0);
  d.snapshot["accounts"][0]["balance_minor"] = 100;
  d.snapshot["accounts"][1]["balance_minor"] = 100;
  const auto v = d.verdict();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.lost, std::vector<std::string>{"k-0"});
  EXPECT_TRUE(v.conserved);
}

TEST(LedgerCheck, AMoveOfMoneyNoRecordExplainsFailsTheReplay) {
  Drill d;  // applied twice: the balances moved 60, one record of 30
  d.snapshot["accounts"][0]["balance_minor"] = 40;
  d.snapshot["accounts"][1]["balance_minor"] = 160;
  const auto v = d.verdict();
  EXPECT_TRUE(v.conserved);
  EXPECT_EQ(v.replay_mismatch, (std::vector<std::int64_t>{0, 1}));
  EXPECT_FALSE(v.ok());
}

TEST(LedgerCheck, MoneyCreatedIsNotConserved) {
  Drill d;
  d.snapshot["accounts"][2]["balance_minor"] = 101;
  const auto v = d.verdict();
  EXPECT_FALSE(v.conserved);
  EXPECT_EQ(v.balance_sum, 301);
  EXPECT_FALSE(v.ok());
}

TEST(LedgerCheck, ANegativeBalanceIsReported) {
  Drill d;
  d.snapshot["config"] = {{"total_minor", 0}, {"balance_minor", 0}};
  d.snapshot["accounts"] = json::array({{{"id", 0}, {"balance_minor", -30}}, {{"id", 1}, {"balance_minor", 30}},
                                        {{"id", 2}, {"balance_minor", 0}}});
  const auto v = d.verdict();
  EXPECT_EQ(v.negative, std::vector<std::int64_t>{0});
  EXPECT_TRUE(v.replay_mismatch.empty());
}

TEST(LedgerCheck, ARecordOfOursThatNoUserSentIsAPhantom) {
  Drill d;
  d.snapshot["payments"].push_back({{"key", "k-9"}, {"status", "declined"}, {"from", 2}, {"to", 0},
                                    {"amount_minor", 900}, {"currency", "CNY"}, {"revision", "39"}});
  const auto v = d.verdict();
  EXPECT_EQ(v.phantom, std::vector<std::string>{"k-9"});
  // Another client's records only count toward the balances.
  d.snapshot["payments"].back()["key"] = "other-9";
  EXPECT_TRUE(d.verdict().ok());
}

TEST(LedgerCheck, ARecordThatDiffersFromWhatWasSentIsAPhantom) {
  Drill d;
  d.snapshot["payments"][0]["amount_minor"] = 31;
  d.snapshot["accounts"][0]["balance_minor"] = 69;
  d.snapshot["accounts"][1]["balance_minor"] = 131;
  EXPECT_EQ(d.verdict().phantom, std::vector<std::string>{"k-0"});
}

TEST(LedgerCheck, ADeclineTheLedgerAppliedIsFlipped) {
  Drill d;
  d.snapshot["payments"][1]["status"] = "applied";
  d.snapshot["payments"][1]["amount_minor"] = 500;
  const auto v = d.verdict();
  EXPECT_EQ(v.flipped, std::vector<std::string>{"k-1"});
}

TEST(LedgerCheck, UnknownOutcomesMayGoEitherWay) {
  Drill d;
  d.sent[0].outcome = Outcome::kUnknown;
  d.sent[1].outcome = Outcome::kUnknown;
  const auto v = d.verdict();
  EXPECT_TRUE(v.ok()) << v.to_json().dump(2);
  EXPECT_EQ(v.unknown_applied, 1);
  EXPECT_EQ(v.unknown_not_applied, 1);  // k-1: declined
}

TEST(LedgerCheck, APayersLaterPaymentCommittedBeforeAnAcknowledgedOneIsReordered) {
  Drill d;  // k-2 (0->2) sent after k-0 was acknowledged, yet committed at an earlier revision
  d.sent.push_back(Drill::payment("k-2", 0, 2, 10, Outcome::kApplied, 2500, 2600));
  d.snapshot["payments"].push_back({{"key", "k-2"}, {"status", "applied"}, {"from", 0}, {"to", 2},
                                    {"amount_minor", 10}, {"currency", "CNY"}, {"revision", "30"}});
  d.snapshot["accounts"][0]["balance_minor"] = 60;
  d.snapshot["accounts"][2]["balance_minor"] = 110;
  EXPECT_EQ(d.verdict().reordered, std::vector<std::string>{"k-2"});
  // Sent while k-0 was still in flight: either order is right.
  d.sent.back().attempts[0].start_us = 1500;
  EXPECT_TRUE(d.verdict().ok());
}

TEST(LedgerSnapshot, AMissingOrMalformedFieldIsNamed) {
  Drill d;
  d.snapshot["payments"][1].erase("revision");
  try {
    parse_snapshot(d.snapshot);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("payments[1].revision"), std::string::npos) << e.what();
  }
  d = Drill();
  d.snapshot["accounts"][0]["balance_minor"] = "12x";
  EXPECT_THROW(parse_snapshot(d.snapshot), std::invalid_argument);
}

}  // namespace

// A drill plans its payments ahead and stops sending when its steps end:
// those never sent are no outcome to resolve, and one the ledger holds anyway
// was applied without being sent.
TEST(LedgerCheck, APaymentNeverSentIsNoUnknownAndMustNotBeApplied) {
  Drill d;
  SentPayment unsent;
  unsent.key = "k-2";
  unsent.request = {2, 0, 10, "CNY"};
  d.sent.push_back(unsent);
  auto v = d.verdict();
  EXPECT_TRUE(v.ok()) << v.to_json().dump(2);
  EXPECT_EQ(v.unknown_not_applied, 0);
  d.snapshot["payments"].push_back({{"key", "k-2"}, {"status", "applied"}, {"from", 2}, {"to", 0},
                                    {"amount_minor", 10}, {"currency", "CNY"}, {"revision", "39"}});
  d.snapshot["accounts"][2]["balance_minor"] = 90;
  d.snapshot["accounts"][0]["balance_minor"] = 80;
  v = d.verdict();
  EXPECT_EQ(v.phantom, std::vector<std::string>{"k-2"});
  EXPECT_FALSE(v.ok());
}
