#include "injector/playbook/names.h"

#include <array>

namespace injector::playbook {
namespace {

// Indexed by the enums' values, which the order here follows.
constexpr std::array<std::string_view, 9> kMetricWords{"success_rate", "ok_per_s",    "latency_p50",
                                                        "latency_p99",  "latency_max", "rto",
                                                        "longest_gap",  "unknown_count", "probe"};
constexpr std::array<std::string_view, 6> kOpWords{"<", "<=", ">", ">=", "==", "!="};
constexpr std::array<std::string_view, 6> kInvariantWords{"conserved",         "no_negative", "acknowledged_once",
                                                           "no_failed_applied", "no_phantom",  "unknown_resolved"};

template <class Enum, std::size_t N>
std::optional<Enum> word_lookup(const std::array<std::string_view, N>& words, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (words[i] == s) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

template <std::size_t N>
std::string words_listed(const std::array<std::string_view, N>& words, std::size_t count = N) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (out.empty() ? "" : ", ") + std::string(words[i]);
  return out;
}

}  // namespace

std::string_view to_string(Metric m) { return kMetricWords.at(static_cast<std::size_t>(m)); }

std::optional<Metric> metric_from_string(std::string_view s) {
  const auto m = word_lookup<Metric>(kMetricWords, s);
  return m == Metric::probe ? std::nullopt : m;  // a bare "probe" names no probe
}

std::string metric_names() { return words_listed(kMetricWords, kMetricWords.size() - 1) + ", probe.<probe name>"; }

std::string_view to_string(CompareOp op) { return kOpWords.at(static_cast<std::size_t>(op)); }
std::optional<CompareOp> op_from_string(std::string_view s) { return word_lookup<CompareOp>(kOpWords, s); }
std::string op_names() { return words_listed(kOpWords); }

std::string_view to_string(Invariant i) { return kInvariantWords.at(static_cast<std::size_t>(i)); }
std::optional<Invariant> invariant_from_string(std::string_view s) { return word_lookup<Invariant>(kInvariantWords, s); }
std::string invariant_names() { return words_listed(kInvariantWords); }

std::vector<Invariant> all_invariants() {
  std::vector<Invariant> out;
  for (std::size_t i = 0; i < kInvariantWords.size(); ++i) out.push_back(static_cast<Invariant>(i));
  return out;
}

}  // namespace injector::playbook
