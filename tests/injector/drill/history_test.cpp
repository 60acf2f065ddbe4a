#include "injector/drill/history.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace {

using injector::drill::Attempt;
using injector::drill::History;
using injector::drill::Observed;
using injector::drill::SentPayment;

constexpr std::int64_t kStart = 1'700'000'000'000'000;

Attempt attempt(int worker, std::int64_t start, std::int64_t end, int status, Observed o) {
  Attempt a;
  a.worker = worker;
  a.start_us = kStart + start;
  a.end_us = kStart + end;
  a.status = status;
  a.observed = o;
  return a;
}

SentPayment payment(const std::string& key, std::int64_t from, std::vector<Attempt> attempts) {
  SentPayment p;
  p.key = key;
  p.request = {from, from + 1, 250, "CNY"};
  p.attempts = std::move(attempts);
  return p;
}

std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));  // throws if not JSON
  return out;
}

// Two workers; p1 retried on the other worker after a timeout; an attempt
// that begins the instant the previous one on its worker ends; a fault in between.
std::string sample_history() {
  const std::vector<SentPayment> payments = {
      payment("k-0", 1, {attempt(0, 100, 1100, 0, Observed::kUnknown), attempt(1, 1200, 1300, 201, Observed::kOk)}),
      payment("k-1", 2, {attempt(1, 150, 400, 503, Observed::kFail), attempt(0, 1100, 1100, 201, Observed::kOk)}),
      payment("k-2", 1, {attempt(1, 400, 450, 201, Observed::kOk)}),
      payment("k-3", 2, {}),  // never sent: no line
  };
  History h(kStart);
  h.add_nemesis(kStart + 1250, "stop-fault", {{"id", "cut"}});
  h.add_nemesis(kStart + 500, "start-fault", {{"id", "cut"}, {"hosts", {"hz-1"}}});
  std::ostringstream out;
  h.write(out, payments, [](std::int64_t account) { return account == 1 ? "hz" : "sz"; });
  return out.str();
}

TEST(History, OneJsonObjectPerLineInTimeOrder) {
  const auto lines = lines_of(sample_history());
  ASSERT_EQ(lines.size(), 5u * 2 + 2);
  std::int64_t last = -1;
  for (const auto& l : lines) {
    EXPECT_GE(l.at("time").get<std::int64_t>(), last) << l;
    last = l.at("time").get<std::int64_t>();
  }
  EXPECT_EQ(lines[0], nlohmann::json::parse(R"({"type":"invoke","process":0,"time":100000,"f":"pay","key":"k-0",
      "dc":"hz","value":{"from":1,"to":2,"amount_minor":250}})"));
  EXPECT_EQ(lines[2]["type"], "fail");
  EXPECT_EQ(lines[2]["status"], 503);
  EXPECT_EQ(lines[2]["dc"], "sz");
}

TEST(History, EveryInvokeIsFollowedByItsCompletionAndAProcessHasOneOpenOperation) {
  std::map<std::string, std::string> open;  // process -> key of its open operation
  std::map<std::string, int> completions;
  for (const auto& l : lines_of(sample_history())) {
    if (l["process"] == "nemesis") continue;
    const std::string process = l["process"].dump();
    const std::string key = l["key"];
    if (l["type"] == "invoke") {
      EXPECT_EQ(open.count(process), 0u) << "process " << process << " invoked " << key << " with one open";
      open[process] = key;
    } else {
      ASSERT_EQ(open.count(process), 1u) << "completion of " << key << " before its invoke";
      EXPECT_EQ(open[process], key);
      open.erase(process);
      ++completions[l["type"]];
    }
  }
  EXPECT_TRUE(open.empty());
  EXPECT_EQ(completions["ok"], 3);
  EXPECT_EQ(completions["fail"], 1);
  EXPECT_EQ(completions["info"], 1);  // the timed-out attempt: outcome not known
}

TEST(History, FaultsAreNemesisOperationsMergedInTime) {
  const auto lines = lines_of(sample_history());
  std::vector<std::pair<std::int64_t, std::string>> nemesis;
  for (const auto& l : lines) {
    if (l["process"] != "nemesis") continue;
    EXPECT_EQ(l["type"], "info");
    nemesis.emplace_back(l["time"], l["f"]);
    EXPECT_EQ(l["value"]["id"], "cut");
  }
  ASSERT_EQ(nemesis.size(), 2u);
  EXPECT_EQ(nemesis[0], (std::pair<std::int64_t, std::string>{500000, "start-fault"}));
  EXPECT_EQ(nemesis[1], (std::pair<std::int64_t, std::string>{1250000, "stop-fault"}));
  // Between the attempts around it: after k-2's ok at 450 µs, before k-0's timeout at 1100 µs.
  std::size_t start_line = 0;
  while (lines[start_line]["f"] != "start-fault") ++start_line;
  EXPECT_EQ(lines[start_line - 1]["time"], 450000);
  EXPECT_EQ(lines[start_line + 1]["time"], 1100000);
}

TEST(History, WritesAFile) {
  const std::string path = ::testing::TempDir() + "history_test.jsonl";
  History h(kStart);
  h.add_nemesis(kStart, "start-fault", nlohmann::json::object());
  h.write_file(path, {}, nullptr);
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line)["f"], "start-fault");
  std::remove(path.c_str());
  EXPECT_THROW(h.write_file("/nonexistent-dir/x.jsonl", {}, nullptr), std::runtime_error);
}

}  // namespace

namespace {

// A probe is a process of its own: each check an invoke and its completion,
// merged in time with the payments and the faults.
TEST(History, ProbeChecksAreOperationsOfTheirOwnProcess) {
  History h(kStart);
  h.add_probe("web", kStart + 300, kStart + 320, Observed::kOk, {{"measured", 0.02}});
  h.add_probe("web", kStart + 100, kStart + 900, Observed::kUnknown, {{"detail", "timed out"}});
  h.add_nemesis(kStart + 200, "start-fault", {{"id", "cut"}});
  std::ostringstream out;
  h.write(out, {}, {});
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 5u);
  std::vector<std::string> seen;
  for (const auto& l : lines) seen.push_back(l["process"].get<std::string>() + " " + l["type"].get<std::string>());
  // The probe's own order is kept (its checks by start), merged with the nemesis by time.
  EXPECT_EQ(seen, (std::vector<std::string>{"probe:web invoke", "nemesis info", "probe:web info", "probe:web invoke",
                                            "probe:web ok"}));
  EXPECT_EQ(lines[2]["value"]["detail"], "timed out");
}

}  // namespace
