#include "injector/run/verdict.h"

namespace injector::run {
namespace {

int rank(Verdict v) {
  switch (v) {
    case Verdict::pass: return 0;
    case Verdict::unknown: return 1;
    case Verdict::expectation_failed: return 2;
    case Verdict::guard_aborted: return 3;
    case Verdict::invariant_violated: return 4;
    case Verdict::interrupted: return 5;
    case Verdict::rollback_incomplete: return 6;
    case Verdict::preflight_refused: return 7;
    case Verdict::invalid: return 8;
  }
  return 0;
}

}  // namespace

int exit_code(Verdict v) {
  switch (v) {
    case Verdict::pass: return 0;
    case Verdict::unknown: return 24;
    case Verdict::expectation_failed: return 20;
    case Verdict::guard_aborted: return 22;
    case Verdict::invariant_violated: return 21;
    case Verdict::interrupted: return 130;
    case Verdict::rollback_incomplete: return 23;
    case Verdict::preflight_refused: return 25;
    case Verdict::invalid: return 2;
  }
  return 1;
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::unknown: return "unknown";
    case Verdict::expectation_failed: return "expectation_failed";
    case Verdict::guard_aborted: return "guard_aborted";
    case Verdict::invariant_violated: return "invariant_violated";
    case Verdict::interrupted: return "interrupted";
    case Verdict::rollback_incomplete: return "rollback_incomplete";
    case Verdict::preflight_refused: return "preflight_refused";
    case Verdict::invalid: return "invalid";
  }
  return "?";
}

Verdict worst(Verdict a, Verdict b) { return rank(b) > rank(a) ? b : a; }

void VerdictBook::add(Verdict v, const std::string& reason) {
  if (rank(v) <= rank(verdict_)) return;
  verdict_ = v;
  reason_ = reason;
}

}  // namespace injector::run
