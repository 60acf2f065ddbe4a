#pragma once
// A stand-in for the sample payment system's API (payments/README.md) on
// loopback, for driving `injector run --no-faults` against it: a ledger of
// accounts and records that answers POST /v1/payments, GET /v1/units and
// GET /v1/ledger/snapshot like the real services do, unless told to break
// in one of a few deliberate ways. Each breakage is a few lines apart from
// the correct path, so a test that passes the correct stand-in and fails a
// broken one shows the checker tells exactly that difference.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/loopback_http.h"

namespace injector::testing {

struct Breakage {
  int lose_every = 0;              // acknowledge every Nth new payment as applied, record nothing
  bool duplicate_first = false;    // apply the first payment's amount twice to the balances (one record)
  bool phantom = false;            // with the first payment, commit a payment of its own under the run's key prefix
  int decline_every = 0;           // answer every Nth new payment "declined" and apply it all the same
  std::int64_t balance = 10'000'000;  // each account's seed; the stand-in never declines, so a small one goes below zero
  int snapshot_status = 200;       // anything else: the ledger cannot be read
  // From the first payment on: answer 503 to every payment in [from, until).
  std::optional<std::chrono::milliseconds> outage_from, outage_until;

  static Breakage lose_every_nth(int n) {
    Breakage b;
    b.lose_every = n;
    return b;
  }
  static Breakage duplicate_the_first() {
    Breakage b;
    b.duplicate_first = true;
    return b;
  }
  static Breakage add_a_phantom() {
    Breakage b;
    b.phantom = true;
    return b;
  }
  static Breakage decline_yet_apply_every_nth(int n) {
    Breakage b;
    b.decline_every = n;
    return b;
  }
  static Breakage overdraw_from(std::int64_t balance) {
    Breakage b;
    b.balance = balance;
    return b;
  }
  static Breakage snapshot_answers(int status) {
    Breakage b;
    b.snapshot_status = status;
    return b;
  }
  // until nullopt: to the end.
  Breakage& outage(std::chrono::milliseconds from, std::optional<std::chrono::milliseconds> until) {
    outage_from = from;
    outage_until = until;
    return *this;
  }
};

class StandInApi {
 public:
  static constexpr int kAccounts = 20;

  explicit StandInApi(Breakage breakage = {});
  std::string url() const { return http_.url(); }

  // What the stand-in saw, for the tests' own sanity checks.
  int payments_answered() const;
  int outage_answers() const;

 private:
  struct Record {
    std::string key, status = "applied", currency;
    std::int64_t from = 0, to = 0, amount = 0, revision = 0;
  };
  void pay(const httplib::Request& req, httplib::Response& res);
  void snapshot(httplib::Response& res);
  bool in_outage(std::chrono::steady_clock::time_point now);  // mu_ held
  void commit(Record r, int times);                            // mu_ held
  void add_phantom(const std::string& key);                    // mu_ held

  const Breakage breakage_;
  mutable std::mutex mu_;
  std::map<std::int64_t, std::int64_t> balances_;
  std::map<std::string, Record> records_;
  std::int64_t revision_ = 1;
  int new_payments_ = 0, answered_ = 0, outage_answers_ = 0;
  std::optional<std::chrono::steady_clock::time_point> first_payment_;
  LoopbackHttp http_;  // last: stops serving before the ledger goes
};

}  // namespace injector::testing
