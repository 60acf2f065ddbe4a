#pragma once
// A drill's verdict and its exit code (README.md, `injector run --help`).
// Several things can go wrong in one drill; the worst one decides, so a CI
// pipeline reading only the exit code never mistakes a host left faulted or
// money lost for a mere missed latency goal.

#include <string>

namespace injector::run {

enum class Verdict {
  pass,
  unknown,              // 24: the checker could not decide
  expectation_failed,   // 20
  guard_aborted,        // 22
  invariant_violated,   // 21: money lost, duplicated or created
  interrupted,          // 130: the operator stopped it; everything was rolled back
  rollback_incomplete,  // 23: a daemon did not confirm a revert
  preflight_refused,    // 25: nothing was injected
  invalid,              // 2: the playbook or flags; nothing was sent
};

// Exit codes, the same order as above.
int exit_code(Verdict v);
const char* to_string(Verdict v);

// 23 first, then 130, then 21, 22, 20, 24, pass. Preflight and invalid
// happen before anything runs, so they never meet the others.
Verdict worst(Verdict a, Verdict b);

// Collects what went wrong with the first reason for the worst verdict.
class VerdictBook {
 public:
  void add(Verdict v, const std::string& reason);
  Verdict verdict() const { return verdict_; }
  const std::string& reason() const { return reason_; }

 private:
  Verdict verdict_ = Verdict::pass;
  std::string reason_ = "every expectation, guard and invariant held";
};

inline constexpr const char* kRunExitCodes =
    "Exit codes:\n"
    "  0    pass: every expectation, guard and invariant held, every fault reverted\n"
    "  2    invalid playbook or flags; nothing was sent\n"
    "  20   an expectation failed\n"
    "  21   an invariant was violated (money lost, duplicated or created)\n"
    "  22   a guard aborted the drill (every fault was reverted)\n"
    "  23   rollback incomplete: a daemon did not confirm a revert (the host is named)\n"
    "  24   unknown: the checker could not decide (it saw nothing, or could not read the ledger)\n"
    "  25   preflight refused (a daemon did not answer, foreign faults, clocks apart)\n"
    "  130  interrupted by the operator, every fault rolled back\n"
    "When several apply the worst wins: 23, 130, 21, 22, 20, 24, then pass.\n";

}  // namespace injector::run
