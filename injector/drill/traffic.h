#pragma once
// Payment traffic as simulated users make it: open loop (each payment is due
// at its own time whatever happened to the others, so a stall shows as
// latency instead of silently lowering the rate), and a payment whose answer
// is not final is retried with the same idempotency key until it is, as a
// well-behaved client does. Every attempt is recorded for the checks.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "injector/drill/payments_api.h"

namespace injector::drill {

struct SentPayment;
struct Attempt;

struct TrafficPlan {
  std::string api_url;                 // http(s)://HOST[:PORT][/PREFIX]
  PaymentsDialect dialect;             // how the API is spoken: the sample's by default
  double rate_per_s = 100;             // new payments per second
  std::chrono::milliseconds duration{10000};
  int workers = 32;                    // concurrent requests at most
  std::int64_t accounts = 10000;       // payer and payee drawn uniformly from [0, accounts)
  std::int64_t max_amount_minor = 500;
  std::string currency = "CNY";
  std::string key_prefix;              // every key is key_prefix + index: one run's keys
  std::uint64_t seed = 1;
  std::chrono::milliseconds attempt_timeout{1000};
  std::chrono::milliseconds retry_backoff{50};
  // A payment still without a final answer this long after it was due is
  // left "unknown" (the checks then accept either outcome for it).
  std::chrono::milliseconds give_up_after{30000};
  // Called by the worker right after each attempt is recorded in its payment
  // (the live feed of the checker's guards): keep it short, it delays the
  // worker's next payment. The payment is not touched by anyone else meanwhile.
  std::function<void(const SentPayment&, const Attempt&)> on_attempt;
};

// What an attempt's answer tells the checker: an acknowledgement (ok), an
// answer that is not one (fail: 5xx, 409, 4xx, a refused or reset
// connection), or no answer in time (unknown: the outcome is not known).
enum class Observed { kOk, kFail, kUnknown };
const char* to_string(Observed o);

struct Attempt {
  std::int64_t start_us = 0;  // wall clock, Unix microseconds: comparable with the daemons' activation times
  std::int64_t end_us = 0;
  int status = 0;             // 0: no HTTP answer
  std::string served_by;
  bool replay = false;
  int worker = -1;  // the run_traffic worker that made it (a Jepsen "process")
  Observed observed = Observed::kUnknown;
};

enum class Outcome { kApplied, kDeclined, kRefused, kUnknown };
const char* to_string(Outcome o);

struct SentPayment {
  std::string key;
  PaymentRequest request;
  std::int64_t due_us = 0;  // when it was scheduled: latency counts from here
  std::vector<Attempt> attempts;
  Outcome outcome = Outcome::kUnknown;

  // The attempt that got the final answer, or nullptr.
  const Attempt* final_attempt() const;
  bool acknowledged() const { return outcome == Outcome::kApplied || outcome == Outcome::kDeclined; }
};

// What an answer means to a client, by the dialect's rules: final (applied,
// declined, refused) or worth another try with the same key (no answer, or a
// retry_status).
Outcome classify(const PaymentAnswer& answer, const PaymentsDialect& dialect = sample_dialect());
bool is_final(Outcome o);

// The class of one attempt. status 0 is split by the transport error:
// no answer within `timeout` (a read, write or connect that timed out, or
// any attempt that lasted the whole timeout) is unknown; a refused or reset
// connection that failed sooner is fail. cpp-httplib reports a read timeout
// and a reset alike (Error::Read), so the attempt's duration tells them apart.
Observed observe(const PaymentAnswer& answer, std::int64_t elapsed_us, std::chrono::milliseconds timeout,
                 const PaymentsDialect& dialect = sample_dialect());

// The payments a plan sends, in due order, before any is sent: the same plan
// and seed always give the same payments.
std::vector<SentPayment> plan_payments(const TrafficPlan& plan, std::int64_t start_us);

// Sends them; returns when every payment is final or given up, or when stop
// becomes true (the rest are left unknown). Throws std::invalid_argument on a
// bad plan.
std::vector<SentPayment> run_traffic(const TrafficPlan& plan, const std::atomic<bool>& stop);
// The same, and once no_new becomes true no further payment is sent: those
// not yet sent are dropped (no attempt, never on the wire) and those already
// sent are still retried until final or given up. A drill sets it when its
// steps are done, so the ledger is read with nothing in flight.
std::vector<SentPayment> run_traffic(const TrafficPlan& plan, const std::atomic<bool>& stop,
                                     const std::atomic<bool>& no_new);

std::int64_t unix_now_us();

}  // namespace injector::drill
