#pragma once
// Commits payments in batches. Every payment waiting when a round starts
// shares one read txn and one write txn; in the write, each payment is a
// nested txn with its own compares, so each commits or fails on its own
// (fencing, idempotency and the balances as read stay per payment).
//
// Why: etcd's cost is mostly per request, not per key. On the lab's three
// members a write txn costs ~3.5 ms of CPU, one payment at a time, against
// ~1.1 ms a payment in nested batches of ten (bench: payments_bench capacity),
// and the two cores of a lab machine carry all three members.
//
// A round takes whatever is queued, after waiting a few milliseconds for
// company (CommitOptions::batch_wait_ms).

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "answer.h"
#include "config.h"
#include "etcd_client.h"
#include "ownership.h"
#include "payment.h"

namespace payments {

struct CommitOptions {
  int rounds = 2;  // one reads while another waits on its write
  // A round waits up to this long for more payments (until 8 are queued)
  // before it reads: under load, fewer and bigger txns cost etcd less CPU
  // than the wait costs in latency. Measured with payments_bench capacity:
  // 0 ms sustained 200/s at p99 <= 50 ms, 5 ms 400/s.
  int batch_wait_ms = 5;
};

class Committer {
 public:
  Committer(EtcdClient& etcd, const PayConfig& config, std::string dc, const Ownership& ownership,
            CommitOptions options = {});
  ~Committer();  // answers what is still queued (503) and joins the rounds
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Blocks until the payment is decided, refused, or its time is up.
  Answer pay(const std::string& key, const PaymentRequest& r);

  // Since start: write txns sent, and the payments they carried.
  struct Counts {
    uint64_t writes = 0;
    uint64_t payments = 0;
  };
  Counts counts() const;

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;
  struct Chosen;

  void run();
  std::vector<JobPtr> take_batch();
  void round(const std::vector<JobPtr>& batch);
  // Sorts the read's answers: decided now, retried later, or into the write.
  std::vector<Chosen> choose(const std::vector<JobPtr>& batch, const TxnResult& got, bool linearizable,
                             std::vector<JobPtr>& retry);
  void write(const std::vector<Chosen>& chosen, std::vector<JobPtr>& retry);
  void requeue(std::vector<JobPtr> retry);
  // The read of a round; linearizable is set when any of it must be.
  Txn read_txn(const std::vector<JobPtr>& batch, bool& linearizable) const;
  // Why this service may not commit on this read (owner, epoch, accounts), if
  // so; owner is null when the read did not include it (the write checks it).
  std::optional<Answer> refusal(const RangeResult* owner, const RangeResult& from, const RangeResult& to,
                                Job& job) const;

  EtcdClient& etcd_;
  const PayConfig& config_;
  const std::string dc_;
  const Ownership& ownership_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  Counts counts_;
  std::deque<JobPtr> queue_;
  bool stopping_ = false;
  const CommitOptions options_;
  std::vector<std::thread> rounds_;
};

}  // namespace payments
