#include "injector/drill/interruption.h"

#include <algorithm>

namespace injector::drill {

namespace {

struct Event {
  std::int64_t at_us;  // a failure counts from its start, an acknowledgement at its end
  bool acknowledged;
};

std::vector<Event> events_of(const std::vector<SentPayment>& payments, const PaymentFilter& which,
                             std::int64_t from_us, std::int64_t to_us) {
  std::vector<Event> events;
  for (const SentPayment& p : payments) {
    if (!which(p)) continue;
    for (std::size_t i = 0; i < p.attempts.size(); ++i) {
      const Attempt& a = p.attempts[i];
      if (a.start_us < from_us || a.start_us >= to_us) continue;
      const bool final = i + 1 == p.attempts.size() && p.outcome != Outcome::kUnknown;
      events.push_back(final ? Event{a.end_us, true} : Event{a.start_us, false});
    }
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at_us < b.at_us; });
  return events;
}

}  // namespace

std::optional<Interruption> longest_interruption(const std::vector<SentPayment>& payments,
                                                 const PaymentFilter& which, std::int64_t from_us,
                                                 std::int64_t to_us) {
  const std::vector<Event> events = events_of(payments, which, from_us, to_us);
  std::optional<Interruption> longest;
  bool open = false;  // an interruption began at `began` and has not ended
  std::int64_t began = 0;
  auto close = [&](std::int64_t end) {
    if (open && (!longest || end - began > longest->length_us())) longest = Interruption{began, end};
    open = false;
  };
  for (const Event& e : events) {
    if (e.acknowledged) {
      close(e.at_us);
    } else if (!open) {
      open = true;
      began = e.at_us;
    }
  }
  if (open) close(events.back().at_us);
  return longest;
}

std::optional<std::int64_t> recovery_us(const std::vector<SentPayment>& payments, const PaymentFilter& which,
                                        std::int64_t t_us, const std::string& not_served_by) {
  std::optional<std::int64_t> first;
  for (const SentPayment& p : payments) {
    if (!which(p) || !p.acknowledged()) continue;
    const Attempt& a = *p.final_attempt();
    if (!not_served_by.empty() && a.served_by == not_served_by) continue;
    if (a.start_us >= t_us && (!first || a.end_us < *first)) first = a.end_us;
  }
  if (!first) return std::nullopt;
  return *first - t_us;
}

}  // namespace injector::drill
