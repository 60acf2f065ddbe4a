#include "committer.h"

#include <future>
#include <set>
#include <utility>

namespace payments {

using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMaxAttempts = 8;   // reads a payment may take before "contention"
constexpr size_t kMaxBatch = 32;  // the read txn has 4 ops a payment; etcd allows 128 by default
constexpr size_t kEnoughCompany = 8;  // a batch this big goes without waiting

}  // namespace

struct Committer::Job {
  std::string key;
  PaymentRequest request;
  std::string hash;
  int unit = 0;
  Clock::time_point give_up;
  int attempts = 0;
  // The first read is served by the local member without a consensus round.
  // It may lag: a refusal it suggests is confirmed by a linearizable read,
  // and a commit decided on it fails its compares (then we read linearizably).
  // A record it shows is final either way: records are never rewritten.
  bool serializable = true;
  // The first read is of the two accounts only when this service holds the
  // payer's unit (epoch set): the write's compares catch a record that exists
  // already and an owner that changed, and its failure branch reads both back.
  // After a failed write, or for a unit not held, the next read is full.
  bool full_read = false;
  int64_t epoch = 0;
  bool deferred = false;  // set aside by a round, which is not a failed attempt
  bool answered = false;
  std::promise<Answer> answer;

  void finish(Answer a) {
    if (answered) return;
    answered = true;
    answer.set_value(std::move(a));
  }
};

struct Committer::Chosen {
  JobPtr job;
  Record record;
  PaymentRead read;
};

Committer::Committer(EtcdClient& etcd, const PayConfig& config, std::string dc, const Ownership& ownership,
                     CommitOptions options)
    : etcd_(etcd), config_(config), dc_(std::move(dc)), ownership_(ownership), options_(options) {
  for (int i = 0; i < options_.rounds; ++i) rounds_.emplace_back([this] { run(); });
}

Committer::~Committer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : rounds_) t.join();
  for (auto& job : queue_) job->finish(error_answer(503, "stopping", "the service is stopping", 1));
}

Answer Committer::pay(const std::string& key, const PaymentRequest& r) {
  auto job = std::make_shared<Job>();
  job->key = key;
  job->request = r;
  job->hash = body_hash(r);
  job->unit = config_.unit_of(r.from);
  job->give_up = Clock::now() + 4 * etcd_.deadline();
  std::future<Answer> answer = job->answer.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return error_answer(503, "stopping", "the service is stopping", 1);
    queue_.push_back(job);
  }
  ready_.notify_one();
  return answer.get();
}

Committer::Counts Committer::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void Committer::run() {
  for (;;) {
    std::vector<JobPtr> batch = take_batch();
    if (batch.empty()) return;  // stopping
    round(batch);
  }
}

std::vector<Committer::JobPtr> Committer::take_batch() {
  std::unique_lock lock(mu_);
  ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (options_.batch_wait_ms > 0 && queue_.size() < kEnoughCompany)
    ready_.wait_for(lock, std::chrono::milliseconds(options_.batch_wait_ms),
                    [this] { return stopping_ || queue_.size() >= kEnoughCompany; });
  std::vector<JobPtr> batch;
  while (!stopping_ && !queue_.empty() && batch.size() < kMaxBatch) {
    JobPtr job = std::move(queue_.front());
    queue_.pop_front();
    if (Clock::now() > job->give_up)
      job->finish(error_answer(503, "contention", "the accounts kept changing; retry with the same key", 1));
    else
      batch.push_back(std::move(job));
  }
  if (!queue_.empty()) ready_.notify_one();  // more than one batch's worth: the other round takes it
  return batch;
}

Txn Committer::read_txn(const std::vector<JobPtr>& batch, bool& linearizable) const {
  Txn read;  // one consistent read of everything each decision depends on
  linearizable = false;
  for (const auto& job : batch) {
    linearizable = linearizable || !job->serializable;
    if (!job->full_read) {
      const auto held = ownership_.epoch_of(job->unit);
      job->full_read = !held;
      job->epoch = held.value_or(0);
    }
    std::vector<std::string> keys{account_key(job->request.from), account_key(job->request.to)};
    if (job->full_read) keys.insert(keys.end(), {payment_key(job->key), unit_owner_key(job->unit)});
    for (auto& k : keys) read.success.push_back(job->serializable ? serializable_range_op(k) : range_op(k));
  }
  return read;
}

void Committer::round(const std::vector<JobPtr>& batch) {
  std::vector<JobPtr> retry;
  try {
    bool linearizable = false;
    const Txn read = read_txn(batch, linearizable);
    const TxnResult got = etcd_.txn(read);
    if (got.responses.size() != read.success.size()) throw std::runtime_error("etcd: short read txn answer");
    const std::vector<Chosen> chosen = choose(batch, got, linearizable, retry);
    if (!chosen.empty()) write(chosen, retry);
  } catch (const EtcdError& e) {
    // A write may or may not have committed: the client retries with the same key.
    for (const auto& job : batch) job->finish(error_answer(503, "unknown", e.what(), 1));
    return;
  } catch (const std::exception& e) {
    for (const auto& job : batch) job->finish(error_answer(500, "etcd", e.what()));
    return;
  }
  requeue(std::move(retry));
}

std::vector<Committer::Chosen> Committer::choose(const std::vector<JobPtr>& batch, const TxnResult& got,
                                                 bool linearizable, std::vector<JobPtr>& retry) {
  std::vector<Chosen> chosen;
  std::set<std::string> written;  // etcd refuses a txn that puts one key twice
  size_t at = 0;
  for (const JobPtr& job : batch) {
    const RangeResult* r = &got.responses[at];  // payer, payee[, record, owner]
    at += job->full_read ? 4 : 2;
    if (job->full_read && !r[2].kvs.empty()) {
      job->finish(stored_answer(r[2].kvs.front(), job->hash));
      continue;
    }
    if (auto no = refusal(job->full_read ? &r[3] : nullptr, r[0], r[1], *job)) {
      if (linearizable) {
        job->finish(*no);
      } else {
        job->serializable = false;
        retry.push_back(job);
      }
      continue;
    }
    const std::string keys[] = {payment_key(job->key), account_key(job->request.from), account_key(job->request.to)};
    if (written.count(keys[0]) || written.count(keys[1]) || written.count(keys[2])) {
      job->deferred = true;  // another payment in this round writes one of its keys: next round
      retry.push_back(job);
      continue;
    }
    written.insert(std::begin(keys), std::end(keys));
    PaymentRead pr;
    pr.from_balance = account_balance(r[0].kvs.front().value);
    pr.from_mod = r[0].kvs.front().mod_revision;
    pr.to_balance = account_balance(r[1].kvs.front().value);
    pr.to_mod = r[1].kvs.front().mod_revision;
    pr.epoch = job->epoch;  // the epoch this service holds (refusal checked it against the owner key if read)
    chosen.push_back({job, decide(job->key, job->request, pr, dc_, job->unit), pr});
  }
  return chosen;
}

void Committer::write(const std::vector<Chosen>& chosen, std::vector<JobPtr>& retry) {
  Txn batch;
  for (const auto& c : chosen) batch.success.push_back(txn_op(payment_txn(c.record, c.read)));
  {
    std::lock_guard lock(mu_);
    ++counts_.writes;
    counts_.payments += chosen.size();
  }
  const TxnResult res = etcd_.txn(batch);
  if (!res.succeeded || res.txns.size() != chosen.size()) throw std::runtime_error("etcd: short batch txn answer");
  for (size_t i = 0; i < chosen.size(); ++i) {
    const TxnResult& one = res.txns[i];
    const JobPtr& job = chosen[i].job;
    if (one.succeeded) {
      nlohmann::json body = record_to_json(chosen[i].record);
      body["revision"] = res.revision;
      job->finish(Answer{201, body, false, 0});
    } else if (!one.responses.empty() && !one.responses[0].kvs.empty()) {
      job->finish(stored_answer(one.responses[0].kvs.front(), job->hash));
    } else {
      job->serializable = false;  // the owner key or a balance changed: the next read says which
      job->full_read = true;
      retry.push_back(job);
    }
  }
}

void Committer::requeue(std::vector<JobPtr> retry) {
  if (retry.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto it = retry.rbegin(); it != retry.rend(); ++it) {
      Job& job = **it;
      if (!std::exchange(job.deferred, false) && ++job.attempts >= kMaxAttempts)
        job.finish(error_answer(503, "contention", "the accounts kept changing; retry with the same key", 1));
      else
        queue_.push_front(*it);  // ahead of newer payments: a retried payer keeps its order
    }
  }
  ready_.notify_one();
}

std::optional<Answer> Committer::refusal(const RangeResult* owner_r, const RangeResult& from, const RangeResult& to,
                                         Job& job) const {
  const std::string unit = std::to_string(job.unit);
  if (owner_r) {  // a full read: the owner key as etcd has it
    if (owner_r->kvs.empty()) return error_answer(503, "no_owner", "unit " + unit + " has no owner (failover in progress)", 1);
    const KeyValue& owner = owner_r->kvs.front();
    std::string owner_name = owner_dc(owner.value);
    if (owner_name != dc_) {
      Answer a = error_answer(421, "not_owner", "unit " + unit + " is owned by " + owner_name);
      a.body["owner"] = owner_name;
      return a;
    }
    auto epoch = ownership_.epoch_of(job.unit);
    if (!epoch || *epoch != owner.mod_revision)
      return error_answer(503, "not_ready", "this service does not hold unit " + unit + " right now", 1);
    job.epoch = *epoch;
  }
  if (from.kvs.empty() || to.kvs.empty()) return error_answer(500, "no_account", "an account is missing from the ledger");
  return std::nullopt;
}

}  // namespace payments
