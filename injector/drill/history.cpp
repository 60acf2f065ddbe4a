#include "injector/drill/history.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <queue>
#include <stdexcept>

namespace injector::drill {

namespace {

// One line to be: its time, and what writes it (a payment's attempt, its
// invoke or its completion, or a nemesis event).
struct HistoryEvent {
  std::int64_t time_us;
  const SentPayment* payment = nullptr;
  const Attempt* attempt = nullptr;
  bool completion = false;
  const nlohmann::json* line = nullptr;  // a nemesis or probe operation, written as it is
};

const char* completion_type(Observed o) {
  switch (o) {
    case Observed::kOk: return "ok";
    case Observed::kFail: return "fail";
    case Observed::kUnknown: return "info";  // Jepsen: it may or may not have happened
  }
  return "info";
}

// Each process's events in the order it made them: a worker makes one
// attempt at a time, so its attempts by start time, each invoke followed by
// its completion.
std::vector<std::vector<HistoryEvent>> by_process(const std::vector<SentPayment>& payments) {
  std::map<int, std::vector<std::pair<const SentPayment*, const Attempt*>>> attempts;
  for (const auto& p : payments) {
    for (const auto& a : p.attempts) attempts[a.worker].emplace_back(&p, &a);
  }
  std::vector<std::vector<HistoryEvent>> out;
  for (auto& [worker, list] : attempts) {
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& x, const auto& y) { return x.second->start_us < y.second->start_us; });
    auto& events = out.emplace_back();
    for (const auto& [p, a] : list) {
      events.push_back({a->start_us, p, a, false, nullptr});
      events.push_back({a->end_us, p, a, true, nullptr});
    }
  }
  return out;
}

}  // namespace

History::History(std::int64_t run_start_us) : run_start_us_(run_start_us) {}

void History::add_nemesis(std::int64_t time_us, const std::string& f, nlohmann::json value) {
  others_["nemesis"].push_back({time_us, time_us, {{"process", "nemesis"}, {"type", "info"}, {"f", f}, {"value", std::move(value)}}});
}

void History::add_probe(const std::string& probe, std::int64_t start_us, std::int64_t end_us, Observed observed,
                        nlohmann::json value) {
  auto& ops = others_["probe:" + probe];
  ops.push_back({start_us, start_us, {{"process", "probe:" + probe}, {"type", "invoke"}, {"f", "probe"}, {"probe", probe}}});
  ops.push_back({end_us, start_us,
                 {{"process", "probe:" + probe}, {"type", completion_type(observed)}, {"f", "probe"}, {"probe", probe},
                  {"value", std::move(value)}}});
}

void History::write(std::ostream& out, const std::vector<SentPayment>& payments,
                    const std::function<std::string(std::int64_t)>& dc_of) const {
  auto sequences = by_process(payments);
  for (const auto& [process, ops] : others_) {
    // In the order the process made them: a probe's checks by their start,
    // each invoke followed by its completion.
    std::vector<const Operation*> sorted;
    for (const auto& op : ops) sorted.push_back(&op);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Operation* a, const Operation* b) { return a->order_us < b->order_us; });
    auto& seq = sequences.emplace_back();
    for (const Operation* op : sorted) seq.push_back({op->time_us, nullptr, nullptr, false, &op->line});
  }

  // Merge the sequences by time, each kept in its own order (so a clock step
  // cannot put a completion before its invoke).
  using Head = std::pair<std::int64_t, std::size_t>;  // time, sequence
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  std::vector<std::size_t> next(sequences.size(), 0);
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    if (!sequences[s].empty()) heads.push({sequences[s][0].time_us, s});
  }
  while (!heads.empty()) {
    const std::size_t s = heads.top().second;
    heads.pop();
    const HistoryEvent& e = sequences[s][next[s]++];
    if (next[s] < sequences[s].size()) heads.push({sequences[s][next[s]].time_us, s});
    nlohmann::json line;
    if (e.line) {
      line = *e.line;
      line["time"] = (e.time_us - run_start_us_) * 1000;
    } else {
      line["time"] = (e.time_us - run_start_us_) * 1000;
      const SentPayment& p = *e.payment;
      line["process"] = e.attempt->worker;
      line["type"] = e.completion ? completion_type(e.attempt->observed) : "invoke";
      line["f"] = "pay";
      line["key"] = p.key;
      line["dc"] = dc_of ? dc_of(p.request.from) : std::string();
      line["value"] = {{"from", p.request.from}, {"to", p.request.to}, {"amount_minor", p.request.amount_minor}};
      if (e.completion) line["status"] = e.attempt->status;
    }
    out << line.dump() << '\n';
  }
}

void History::write_file(const std::string& path, const std::vector<SentPayment>& payments,
                         const std::function<std::string(std::int64_t)>& dc_of) const {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  write(out, payments, dc_of);
  out.flush();
  if (!out) throw std::runtime_error("writing " + path + " failed");
}

}  // namespace injector::drill
