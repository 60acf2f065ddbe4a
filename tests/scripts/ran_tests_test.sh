#!/usr/bin/env bash
# scripts/ran-tests, the judge of vm-test's lane, fed canned output of ctest
# and GoogleTest: a lane that ran no test fails with 123 even when the command
# exited 0; a real pass passes; a failure keeps its own status.
#   tests/scripts/ran_tests_test.sh REPO
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly JUDGE=${1:?usage: ran_tests_test.sh REPO}/scripts/ran-tests

# expect NAME WANT STATUS OUTPUT: the judge given STATUS and OUTPUT exits WANT.
expect() {
  local got
  "$JUDGE" "$3" <<<"$4" 2>/dev/null
  got=$?
  if [ "$got" -eq "$2" ]; then pass "$1"; else fail "$1" "exit $got, want $2"; fi
}

readonly CTEST_NONE='Test project /work/build
No tests were found!!!'

readonly CTEST_PASS='Test project /work/build
    Start 1: Netem.Delay
1/2 Test #1: Netem.Delay ......................   Passed    2.01 sec
    Start 2: Netem.Loss
2/2 Test #2: Netem.Loss .......................   Passed    1.50 sec

100% tests passed, 0 tests failed out of 2

Label Time Summary:
vm    =   3.51 sec*proc (2 tests)

Total Test time (real) =   3.52 sec'

readonly CTEST_ALL_SKIPPED='Test project /work/build
    Start 1: vm_netem_smoke
1/2 Test #1: vm_netem_smoke ...................***Skipped   0.01 sec
    Start 2: Netem.Delay
2/2 Test #2: Netem.Delay ......................***Skipped   0.02 sec

100% tests passed, 0 tests failed out of 2

Total Test time (real) =   0.05 sec

The following tests did not run:
	  1 - vm_netem_smoke (Skipped)
	  2 - Netem.Delay (Skipped)'

readonly CTEST_SOME_SKIPPED='Test project /work/build
1/2 Test #1: vm_netem_smoke ...................***Skipped   0.01 sec
2/2 Test #2: Netem.Delay ......................   Passed    2.01 sec

100% tests passed, 0 tests failed out of 2

The following tests did not run:
	  1 - vm_netem_smoke (Skipped)'

readonly CTEST_FAIL='1/1 Test #1: Netem.Delay ......................***Failed    2.01 sec

0% tests passed, 1 tests failed out of 1

The following tests FAILED:
	  1 - Netem.Delay (Failed)'

readonly GTEST_ZERO='Running main() from gmock_main.cc
Note: Google Test filter = Nothing.*
[==========] 0 tests from 0 test suites ran. (0 ms total)
[  PASSED  ] 0 tests.'

readonly GTEST_PASS='[==========] Running 3 tests from 1 test suite.
[==========] 3 tests from 1 test suite ran. (12 ms total)
[  PASSED  ] 3 tests.'

readonly GTEST_ALL_SKIPPED='[==========] 1 test from 1 test suite ran. (0 ms total)
[  PASSED  ] 0 tests.
[  SKIPPED ] 1 test, listed below:
[  SKIPPED ] Netem.Delay'

expect "ctest found no tests" 123 0 "$CTEST_NONE"
expect "ctest found no tests, CRLF console" 123 0 "$(sed 's/$/\r/' <<<"$CTEST_NONE")"
expect "ctest ran and passed" 0 0 "$CTEST_PASS"
expect "ctest skipped every test" 123 0 "$CTEST_ALL_SKIPPED"
expect "ctest skipped some, ran others" 0 0 "$CTEST_SOME_SKIPPED"
expect "ctest failure keeps its status" 8 8 "$CTEST_FAIL"
expect "no tests and a failure status keeps the status" 8 8 "$CTEST_NONE"
expect "gtest ran 0 tests" 123 0 "$GTEST_ZERO"
expect "gtest ran and passed" 0 0 "$GTEST_PASS"
expect "gtest skipped every test" 123 0 "$GTEST_ALL_SKIPPED"
expect "any other command is judged by its status" 0 0 "Linux 6.1.0-28-amd64"
expect "any other command's failure" 1 1 "uname: bad option"

summary
