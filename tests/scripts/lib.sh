# Shared by the shell tests (tests/scripts/*_test.sh, tests/vm/netem_smoke.sh):
# pass/fail counters, checks of a command's exit status, the summary line,
# unique name suffixes, an exit trap.
# Source it from the test script; each script keeps its own setup and cleanup.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PASSED=0
FAILED=0

# pass NAME
pass() {
  PASSED=$((PASSED + 1))
  printf 'PASS: %s\n' "$1"
}

# fail NAME [DETAIL...]: each DETAIL printed indented below.
fail() {
  FAILED=$((FAILED + 1))
  printf 'FAIL: %s\n' "$1"
  shift
  local text
  for text in "$@"; do printf '%s\n' "$text" | sed 's/^/      /'; done
}

# summary: prints "N passed, N failed"; fails if any test failed.
summary() {
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

# check NAME CMD...: passes if CMD exits 0; if not, shows the command and the
# last 20 lines of its output. The output is kept in $WORK/check.out (the
# caller's scratch directory) for a closer look.
check() {
  local name=$1
  shift
  if "$@" >"$WORK/check.out" 2>&1; then
    pass "$name"
  else
    fail "$name" "command: $*" "$(tail -n 20 "$WORK/check.out")"
  fi
}

# check_fails NAME CMD...: passes if CMD exits non-zero.
check_fails() {
  local name=$1
  shift
  if "$@" >"$WORK/check.out" 2>&1; then
    fail "$name" "command unexpectedly succeeded: $*" "$(tail -n 20 "$WORK/check.out")"
  else
    pass "$name"
  fi
}

# unique_suffix: 6 digits from the pid and a random digit, so parallel runs
# and leftovers of others never collide.
unique_suffix() {
  printf '%05d%d' "$(($$ % 100000))" "$((RANDOM % 10))"
}

# on_exit FUNC: FUNC runs once when the script ends, however it ends, and the
# script keeps its exit status; an interrupt prints "interrupted" and exits
# 130, TERM and HUP exit 143. (`trap - EXIT` skips FUNC.)
on_exit() {
  LIB_ON_EXIT=$1
  trap lib_run_on_exit EXIT
  trap 'echo "interrupted"; exit 130' INT
  trap 'exit 143' TERM HUP
}
lib_run_on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  "$LIB_ON_EXIT"
  exit "$rc"
}

# ping_outcome PID: sets OUTCOME to what a background `ping` says by its exit
# status: reach (0), cut (1: it sent and no reply came), or "broken (ping exit
# N)" when it could not send at all (bad address, no route, no socket). Our
# faults drop silently in a qdisc or the delay line, so a broken ping is never
# a cut. (Not through $(...): a subshell cannot wait for the caller's jobs.)
ping_outcome() {
  local rc=0
  wait "$1" || rc=$?
  case $rc in
    0) OUTCOME=reach ;;
    1) OUTCOME=cut ;;
    *) OUTCOME="broken (ping exit $rc)" ;;
  esac
}
