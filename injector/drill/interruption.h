#pragma once
// How long payments stopped, from the attempts the users made: the figures a
// game day is judged by (recovery time of the cut datacenter's units, the
// longest interruption of everyone else's).

#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "injector/drill/traffic.h"

namespace injector::drill {

struct Interruption {
  std::int64_t start_us = 0;  // the first attempt that failed after the last acknowledgement
  std::int64_t end_us = 0;    // the next acknowledgement
  std::int64_t length_us() const { return end_us - start_us; }
};

using PaymentFilter = std::function<bool(const SentPayment&)>;

// The longest stretch, among the payments `which` selects, from an attempt
// that failed (no final answer) after the last acknowledgement to the next
// acknowledgement; only attempts begun in [from_us, to_us) count. nullopt: no
// attempt failed. An interruption still open at the end runs to the last attempt.
std::optional<Interruption> longest_interruption(const std::vector<SentPayment>& payments,
                                                 const PaymentFilter& which, std::int64_t from_us = 0,
                                                 std::int64_t to_us = INT64_MAX);

// Recovery after an event at t_us (a cut's activation): the first
// acknowledgement of an attempt that began at or after t_us and was not
// served by not_served_by (the cut datacenter: an answer it gave in the
// moment the cut was still reaching every host is no recovery), minus t_us.
// nullopt if none came.
std::optional<std::int64_t> recovery_us(const std::vector<SentPayment>& payments, const PaymentFilter& which,
                                        std::int64_t t_us, const std::string& not_served_by = "");

}  // namespace injector::drill
