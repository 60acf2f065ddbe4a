#include "injector/drill/traffic.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <stdexcept>
#include <thread>

namespace injector::drill {

std::int64_t unix_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kApplied: return "applied";
    case Outcome::kDeclined: return "declined";
    case Outcome::kRefused: return "refused";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

const Attempt* SentPayment::final_attempt() const {
  if (outcome == Outcome::kUnknown || attempts.empty()) return nullptr;
  return &attempts.back();
}

Outcome classify(const PaymentAnswer& a, const PaymentsDialect& d) {
  // The sample: declined (402), busy with this key (409), asked the wrong
  // owner (421), no owner yet or overloaded (503, 429).
  if (status_in(d.declined_status, a.status)) return Outcome::kDeclined;
  if (status_in(d.ok_status, a.status)) {
    return d.declined_body.found_in(a.raw_body) ? Outcome::kDeclined : Outcome::kApplied;
  }
  // No answer, or one that says "again": the same key again is safe.
  if (a.status == 0 || status_in(d.retry_status, a.status)) return Outcome::kUnknown;
  return Outcome::kRefused;  // the sample's 400, 404, 422...: the request itself is wrong
}

bool is_final(Outcome o) { return o != Outcome::kUnknown; }

const char* to_string(Observed o) {
  switch (o) {
    case Observed::kOk: return "ok";
    case Observed::kFail: return "fail";
    case Observed::kUnknown: return "unknown";
  }
  return "?";
}

Observed observe(const PaymentAnswer& answer, std::int64_t elapsed_us, std::chrono::milliseconds timeout,
                 const PaymentsDialect& dialect) {
  if (answer.status != 0) {
    const Outcome o = classify(answer, dialect);
    return o == Outcome::kApplied || o == Outcome::kDeclined ? Observed::kOk : Observed::kFail;
  }
  // 1 ms of slack: httplib's timeouts are per poll, so a timed-out attempt
  // lasts at least the timeout; a reset or refusal comes well before it.
  const bool lasted_the_timeout = elapsed_us + 1000 >= std::chrono::microseconds(timeout).count();
  const std::string& e = answer.transport_error;
  if (e == "ConnectionTimeout" || lasted_the_timeout) return Observed::kUnknown;
  if (e == "Connection" || e == "Read" || e == "Write") return Observed::kFail;
  return Observed::kUnknown;  // an error we cannot place: claim nothing
}

namespace {

void check_plan(const TrafficPlan& p) {
  auto bad = [](const std::string& field, const std::string& allowed) {
    return std::invalid_argument("traffic plan: " + field + " must be " + allowed);
  };
  if (!(p.rate_per_s > 0 && p.rate_per_s <= 100000)) throw bad("rate_per_s", "in (0, 100000]");
  if (p.duration.count() <= 0) throw bad("duration", "positive");
  if (p.workers < 1 || p.workers > 1024) throw bad("workers", "1-1024");
  if (p.accounts < 2) throw bad("accounts", "at least 2");
  if (p.max_amount_minor < 1) throw bad("max_amount_minor", "at least 1");
  if (p.key_prefix.empty()) throw bad("key_prefix", "non-empty");
  parse_api_url(p.api_url);
}

// The due payments, earliest first; a retry goes back in at its own time.
class DueQueue {
 public:
  explicit DueQueue(const std::vector<SentPayment>& payments) : payments_(payments), open_(payments.size()) {
    for (std::size_t i = 0; i < payments.size(); ++i) queue_.push({payments[i].due_us, i});
  }

  // The next payment to send, once it is due; nullopt when all are final or
  // stop is set. One idle worker (the leader) sleeps until the earliest due
  // time, the others until they are needed: every idle worker sleeping until
  // the same instant woke them all for each payment.
  // Once no_new is set, payments never sent are dropped (left unsent) and
  // only retries of payments already sent go on.
  std::optional<std::size_t> next(const std::atomic<bool>& stop, const std::atomic<bool>& no_new) {
    std::unique_lock lock(mu_);
    for (;;) {
      if (no_new.load() && !dropped_unsent_) drop_unsent();
      if (stop.load() || open_ == 0) return std::nullopt;
      const auto now = std::chrono::system_clock::now();
      const auto poll = now + std::chrono::milliseconds(50);
      if (!queue_.empty()) {
        const Due top = queue_.top();
        const auto due = std::chrono::system_clock::time_point(std::chrono::microseconds(top.at_us + shift_us_));
        if (due <= now) {
          queue_.pop();
          if (!queue_.empty()) idle_.notify_one();  // someone else leads to the next one
          return top.index;
        }
        if (!leading_) {
          leading_ = true;
          leader_.wait_until(lock, std::min(due, poll));
          leading_ = false;
          continue;
        }
      }
      idle_.wait_until(lock, poll);
    }
  }

  // Every due time moves by `us`, before any worker asks.
  void shift(std::int64_t us) { shift_us_ += us; }

  void retry(std::size_t index, std::int64_t at_us) {
    {
      std::lock_guard lock(mu_);
      queue_.push({at_us - shift_us_, index});
    }
    leader_.notify_one();  // it may now be the earliest
    idle_.notify_one();    // or there may be no leader
  }

  void finished() {
    std::lock_guard lock(mu_);
    if (--open_ == 0) {
      leader_.notify_all();
      idle_.notify_all();
    }
  }

 private:
  struct Due {
    std::int64_t at_us;
    std::size_t index;
    bool operator>(const Due& o) const { return at_us > o.at_us || (at_us == o.at_us && index > o.index); }
  };

  // Under mu_. A queued payment is not in any worker's hands, so reading its
  // attempts here races with nobody.
  void drop_unsent() {
    dropped_unsent_ = true;
    std::vector<Due> keep;
    for (; !queue_.empty(); queue_.pop()) {
      if (payments_[queue_.top().index].attempts.empty()) {
        --open_;
      } else {
        keep.push_back(queue_.top());
      }
    }
    for (const Due& d : keep) queue_.push(d);
    if (open_ == 0) {
      leader_.notify_all();
      idle_.notify_all();
    }
  }

  const std::vector<SentPayment>& payments_;
  std::int64_t shift_us_ = 0;  // added to every queued time: see shift()
  bool dropped_unsent_ = false;
  std::mutex mu_;
  std::condition_variable leader_, idle_;
  bool leading_ = false;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> queue_;
  std::size_t open_;
};

void send_one(PaymentsApi& api, SentPayment& p, const TrafficPlan& plan, DueQueue& queue, std::size_t index,
              int worker) {
  Attempt a;
  a.worker = worker;
  a.start_us = unix_now_us();
  const PaymentAnswer answer = api.pay(p.key, p.request);
  a.end_us = unix_now_us();
  a.status = answer.status;
  a.served_by = answer.served_by;
  a.replay = answer.replay;
  a.observed = observe(answer, a.end_us - a.start_us, plan.attempt_timeout, plan.dialect);
  p.attempts.push_back(a);
  const Outcome o = classify(answer, plan.dialect);
  if (is_final(o)) p.outcome = o;
  // Before the queue sees it again: once retried, another worker owns p.
  if (plan.on_attempt) plan.on_attempt(p, p.attempts.back());
  const auto waited = std::chrono::microseconds(a.end_us - p.due_us);
  if (is_final(o)) {
    queue.finished();
  } else if (waited >= plan.give_up_after) {
    queue.finished();  // left unknown
  } else {
    const auto backoff = std::chrono::duration_cast<std::chrono::microseconds>(plan.retry_backoff).count();
    queue.retry(index, a.end_us + backoff);
  }
}

// Connections shared by the workers, the last returned taken first, so the
// connections in use follow the payments in flight: a server such as
// cpp-httplib's polls each open keep-alive connection ~90 times a second,
// and 32 workers each with a connection of its own kept 32 of them busy.
class ApiPool {
 public:
  ApiPool(const TrafficPlan& plan) : plan_(plan) {}
  std::unique_ptr<PaymentsApi> take() {
    std::lock_guard lock(mu_);
    if (idle_.empty()) return std::make_unique<PaymentsApi>(plan_.api_url, plan_.attempt_timeout, plan_.dialect);
    auto api = std::move(idle_.back());
    idle_.pop_back();
    return api;
  }
  void give_back(std::unique_ptr<PaymentsApi> api) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(api));
  }

 private:
  const TrafficPlan& plan_;
  std::mutex mu_;
  std::vector<std::unique_ptr<PaymentsApi>> idle_;
};

}  // namespace

std::vector<SentPayment> plan_payments(const TrafficPlan& plan, std::int64_t start_us) {
  check_plan(plan);
  const auto count = static_cast<std::size_t>(plan.rate_per_s * static_cast<double>(plan.duration.count()) / 1000.0);
  std::mt19937_64 rng(plan.seed);
  std::uniform_int_distribution<std::int64_t> account(0, plan.accounts - 1);
  std::uniform_int_distribution<std::int64_t> amount(1, plan.max_amount_minor);
  std::vector<SentPayment> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    SentPayment& p = out[i];
    p.key = plan.key_prefix + std::to_string(i);
    p.request.from = account(rng);
    do {
      p.request.to = account(rng);
    } while (p.request.to == p.request.from);
    p.request.amount_minor = amount(rng);
    p.request.currency = plan.currency;
    p.due_us = start_us + static_cast<std::int64_t>(static_cast<double>(i) * 1e6 / plan.rate_per_s);
  }
  return out;
}

std::vector<SentPayment> run_traffic(const TrafficPlan& plan, const std::atomic<bool>& stop) {
  const std::atomic<bool> never{false};
  return run_traffic(plan, stop, never);
}

std::vector<SentPayment> run_traffic(const TrafficPlan& plan, const std::atomic<bool>& stop,
                                     const std::atomic<bool>& no_new) {
  const std::int64_t planned_at = unix_now_us();
  std::vector<SentPayment> payments = plan_payments(plan, planned_at);
  if (payments.empty()) return payments;
  DueQueue queue(payments);
  ApiPool apis(plan);
  // The schedule starts now, 20 ms ahead (the workers' start): planning a
  // long run (max_duration at the rate: 10^5-10^6 payments) takes long
  // enough that its first payments would be late before anything is sent,
  // a lag the tool would report as the system's latency.
  const std::int64_t lag = unix_now_us() + 20000 - planned_at;
  for (auto& p : payments) p.due_us += lag;
  queue.shift(lag);
  std::vector<std::thread> workers;
  for (int w = 0; w < plan.workers; ++w) {
    workers.emplace_back([&, w] {
      while (const auto index = queue.next(stop, no_new)) {
        auto api = apis.take();
        send_one(*api, payments[*index], plan, queue, *index, w);
        apis.give_back(std::move(api));
      }
    });
  }
  for (auto& t : workers) t.join();
  return payments;
}

}  // namespace injector::drill
