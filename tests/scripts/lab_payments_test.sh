#!/usr/bin/env bash
# End-to-end test of `scripts/lab up --payments`: real etcd, paysvc, payrouter
# and injectord in the lab's namespaces; every request is sent from a lab host
# so it crosses the lab's links, and the fault is made by `injector partition`.
#
#   tests/scripts/lab_payments_test.sh <repo-root> <injectord> <injector> <paysvc> <payrouter>
#
# Needs root, etcd and etcdctl (Debian etcd-server, etcd-client). Always takes
# its labs down. Last line: "N passed, N failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 2

if (($# != 5)); then
  echo "usage: $0 <repo-root> <injectord> <injector> <paysvc> <payrouter>" >&2
  exit 2
fi
REPO=$(cd -- "$1" && pwd) || exit 2
export INJECTORD_BIN=$2 INJECTOR_BIN=$3 PAYSVC_BIN=$4 PAYROUTER_BIN=$5
readonly REPO LAB=$REPO/scripts/lab LAB_ROOT=/run/injector-lab
SUFFIX=$(unique_suffix)
readonly P=lp$SUFFIX Q=lq$SUFFIX
WORK=$(mktemp -d /tmp/lab_payments_test.XXXXXX) || exit 2
readonly WORK
# The lab's plan with the default 3 payment datacenters: users is the 4th.
readonly USERS=users-1 API=http://10.77.4.11:8080
readonly ENDPOINTS=http://10.77.1.11:2379,http://10.77.2.11:2379,http://10.77.3.11:2379
# Bounds for a loaded 2-core machine; typical values are about 1 s for both.
readonly LOSE_QUORUM_BOUND_S=10 REGAIN_BOUND_S=20 TAKEOVER_BOUND_S=20

cleanup() {
  "$LAB" down --prefix "$Q" >/dev/null 2>&1
  "$LAB" down --prefix "$P" >/dev/null 2>&1
  rm -rf -- "$WORK"
}
on_exit cleanup

# check_shown NAME CMD...: check, and shows CMD's last output line (a measured figure) either way.
check_shown() {
  check "$@"
  tail -n 1 "$WORK/check.out" | sed 's/^/      /'
}

# in HOST CMD...: runs CMD in lab host HOST's namespace.
in_host() {
  local host=$1
  shift
  ip netns exec "$P-$host" "$@"
}

# etcd as seen from the users' host: exactly 3 members, none a learner, all
# started, and every endpoint names the same single leader.
etcd_data_in_memory() {
  awk -v d="$LAB_ROOT/$P/etcd" '$2 == d { print $3; found = 1 } END { exit !found }' /proc/self/mounts | grep -qx tmpfs
}

etcd_has_3_voters_and_a_leader() {
  local members status leaders
  members=$(in_host "$USERS" etcdctl --endpoints "$ENDPOINTS" --command-timeout 3s member list -w simple) || return 1
  echo "$members"
  [[ $(grep -c ', started, ' <<<"$members") == 3 ]] || { echo "not 3 started members"; return 1; }
  [[ $(awk -F', ' '$6 == "false"' <<<"$members" | wc -l) == 3 ]] || { echo "not 3 voters"; return 1; }
  status=$(in_host "$USERS" etcdctl --endpoints "$ENDPOINTS" --command-timeout 3s endpoint status -w simple) || return 1
  echo "$status"
  leaders=$(awk -F', ' '$5 == "true"' <<<"$status" | wc -l)
  [[ $leaders == 1 ]] || { echo "$leaders endpoints say they lead"; return 1; }
}

# GET URL+/v1/health from the users' host answers 200, for every service and the router.
services_healthy_from_users() {
  local url code bad=0
  for url in http://10.77.1.11:8080 http://10.77.2.11:8080 http://10.77.3.11:8080 "$API"; do
    code=$(in_host "$USERS" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$url/v1/health")
    echo "$url/v1/health: HTTP $code"
    [[ $code == 200 ]] || bad=1
  done
  return "$bad"
}

# Balance of account ID, read through the router.
balance_of() {
  in_host "$USERS" curl -s --max-time 3 "$API/v1/accounts/$1" | grep -o '"balance_minor":[0-9-]*' | cut -d: -f2
}

# A payment of 123 minor units from account 1 (unit 1, home sh) to account 2
# (unit 2, home sz) through the router: 201, served by sh, and both balances move.
payment_through_router() {
  local before_from before_to after_from after_to code served
  before_from=$(balance_of 1) before_to=$(balance_of 2)
  echo "before: account 1 = ${before_from:-?}, account 2 = ${before_to:-?}"
  [[ -n $before_from && -n $before_to ]] || return 1
  code=$(in_host "$USERS" curl -s -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' --max-time 5 \
    -H "Idempotency-Key: lab-test-$SUFFIX" -H 'Content-Type: application/json' \
    -d '{"from": 1, "to": 2, "amount_minor": 123, "currency": "CNY"}' "$API/v1/payments")
  served=$(tr -d '\r' <"$WORK/headers" | awk -F': ' 'tolower($1) == "x-served-by" { print $2 }')
  echo "POST /v1/payments: HTTP $code, X-Served-By: ${served:-none}; $(cat "$WORK/body")"
  after_from=$(balance_of 1) after_to=$(balance_of 2)
  echo "after: account 1 = ${after_from:-?}, account 2 = ${after_to:-?}"
  [[ $code == 201 && $served == sh ]] || return 1
  ((after_from == before_from - 123 && after_to == before_to + 123))
}

# "home owner" per unit from GET /v1/units through the router, one line each.
unit_owners() {
  in_host "$USERS" curl -s --max-time 5 "$API/v1/units" | grep -o '"home":"[a-z0-9]*","owner":"[a-z0-9]*"' |
    sed 's/"home":"\([a-z0-9]*\)","owner":"\([a-z0-9]*\)"/\1 \2/'
}

# Waits up to BOUND_S until every unit homed in hz is owned by sh (its takeover).
sh_took_over_hz_units() {
  local bound_s=$1 t0 owners
  t0=$(now_ms)
  while (($(now_ms) - t0 < bound_s * 1000)); do
    owners=$(unit_owners)
    if grep -q '^hz ' <<<"$owners" && ! grep '^hz ' <<<"$owners" | grep -qv '^hz sh$'; then
      echo "sh owns hz's units $(($(now_ms) - t0)) ms after the check began"
      return 0
    fi
    sleep 0.1
  done
  echo "owners: $(tr '\n' ';' <<<"$owners")"
  return 1
}

# Every unit owned by its home datacenter.
units_all_home() {
  local owners
  owners=$(unit_owners)
  echo "owners: $(tr '\n' ';' <<<"$owners")"
  [[ $(wc -l <<<"$owners") -eq 12 ]] && ! awk '$1 != $2 { bad = 1 } END { exit !bad }' <<<"$owners"
}

# /health of DC's member, asked from inside DC-1 (the member's own host): 200 or not.
member_health() {
  in_host "$1-1" curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$2:2379/health"
}

# Waits up to BOUND_S for hz's member to report no quorum while sh's and sz's
# still report a leader, all checked in the same poll.
hz_loses_quorum_others_keep_it() {
  local bound_s=$1 t0 hz sh sz
  t0=$(now_ms)
  while :; do
    hz=$(member_health hz 10.77.1.11) sh=$(member_health sh 10.77.2.11) sz=$(member_health sz 10.77.3.11)
    [[ $hz != 200 && $sh == 200 && $sz == 200 ]] && break
    (($(now_ms) - t0 >= bound_s * 1000)) && { echo "after ${bound_s}s: hz $hz, sh $sh, sz $sz"; return 1; }
    sleep 0.1
  done
  local took=$(($(now_ms) - t0)) status
  # sh's and sz's members agree on one leader among themselves.
  status=$(in_host sh-1 etcdctl --endpoints http://10.77.2.11:2379,http://10.77.3.11:2379 endpoint status -w simple) || return 1
  echo "$status"
  echo "hz: HTTP $hz (no quorum), sh: HTTP $sh, sz: HTTP $sz, $took ms after the partition command returned"
  [[ $(awk -F', ' '$5 == "true"' <<<"$status" | wc -l) == 1 ]]
}

# While hz is isolated, users reach sh's service but not hz's (the cut is on the lab's links).
users_cut_from_hz_only() {
  local hz sh
  hz=$(in_host "$USERS" curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://10.77.1.11:8080/v1/health)
  sh=$(in_host "$USERS" curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://10.77.2.11:8080/v1/health)
  echo "from users-1: hz service HTTP $hz, sh service HTTP $sh"
  [[ $hz == 000 && $sh == 200 ]]
}

# Waits up to BOUND_S until every member reports healthy and they agree on one leader.
quorum_restored() {
  local bound_s=$1 t0
  t0=$(now_ms)
  until [[ $(member_health hz 10.77.1.11) == 200 ]] && etcd_has_3_voters_and_a_leader >"$WORK/restored" 2>&1; do
    (($(now_ms) - t0 >= bound_s * 1000)) && { cat "$WORK/restored"; return 1; }
    sleep 0.2
  done
  cat "$WORK/restored"
  echo "restored $(($(now_ms) - t0)) ms after the revert returned"
}

# True if PID is a live process: one read of its stat, so a process reaped
# meanwhile counts as gone, and a zombie counts as dead.
is_alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

now_ms() { printf '%s\n' "$((${EPOCHREALTIME/./} / 1000))"; }

fleet() { "$INJECTOR_BIN" "$@" --inventory "$LAB_ROOT/$P/inventory.yaml"; }

# Pids of lab P's processes, before down: daemons and payment processes.
lab_pids() {
  cat "$LAB_ROOT/$P"/pid/*.pid 2>/dev/null
  awk -F'\t' '{ print $3 }' "$LAB_ROOT/$P/payments/procs" 2>/dev/null
}

# Nothing of lab PREFIX is left: processes (pids in FILE, or naming the lab's
# directory), namespaces, the lab's directory with the etcd data.
nothing_left() {
  local prefix=$1 pids_file=$2 pid bad=0 left
  while read -r pid; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    if is_alive "$pid"; then
      echo "pid $pid still runs: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
      bad=1
    fi
  done <"$pids_file"
  left=$(pgrep -f -- "$LAB_ROOT/$prefix/" || true)
  [[ -z $left ]] || { echo "processes naming $LAB_ROOT/$prefix/: $left"; bad=1; }
  left=$(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 { print $1 }')
  [[ -z $left ]] || { echo "namespaces left: $left"; bad=1; }
  [[ ! -e $LAB_ROOT/$prefix ]] || { echo "$LAB_ROOT/$prefix is left"; bad=1; }
  left=$(awk -v d="$LAB_ROOT/$prefix/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts)
  [[ -z $left ]] || { echo "mounts left: $left"; bad=1; }
  return "$bad"
}

status_shows_payments() {
  local out name
  out=$("$LAB" status --prefix "$P") || { echo "$out"; return 1; }
  echo "$out"
  for name in etcd-hz etcd-sh etcd-sz paysvc-hz paysvc-sh paysvc-sz payrouter; do
    grep -Eq "^$name +$P-[a-z]+-1 +http://10\.77\.[1-4]\.11:[0-9]+ +[0-9]+ +alive +ok\$" <<<"$out" ||
      { echo "no healthy row for $name"; return 1; }
  done
}

inventory_lists_services() {
  local inv=$1 want
  grep -qx 'version: 2' "$inv" || { echo "no 'version: 2'"; return 1; }
  for want in '  - name: users' '  - name: users-1' 'services:' '  - name: payments-api' \
    '    kind: payments-api' "    url: $API" '    host: users-1' '  - name: payments-sz' \
    '    url: http://10.77.3.11:8080' '  - name: etcd-sh' '    url: http://10.77.2.11:2379'; do
    grep -qxF -- "$want" "$inv" || { echo "missing line: $want"; return 1; }
  done
  # The injector itself reads it (version 2 parses).
  fleet status
}

# up --payments refuses clearly, and leaves nothing, when a binary is missing
# or etcd does not start.
refusals() {
  local out rc
  out=$(PAYSVC_BIN=$WORK/no-paysvc "$LAB" up --payments --prefix "$Q" 2>&1 >/dev/null)
  rc=$?
  if ((rc != 0)) && [[ $out == *"scripts/setup --binaries"* ]] && [[ ! -e $LAB_ROOT/$Q ]]; then
    pass "up --payments without paysvc fails, says how to build it, creates nothing"
  else
    fail "up --payments without paysvc fails, says how to build it, creates nothing" "$out"
  fi
  printf '#!/bin/sh\necho "member cannot start: disk on fire" >&2\nexit 3\n' >"$WORK/etcd"
  chmod +x "$WORK/etcd"
  out=$(ETCD_BIN=$WORK/etcd "$LAB" up --payments --prefix "$Q" 2>&1 >/dev/null)
  rc=$?
  if ((rc != 0)) && [[ $out == *"etcd-hz exited"* && $out == *"disk on fire"* ]]; then
    pass "up --payments with an etcd that exits fails with the member's log"
  else
    fail "up --payments with an etcd that exits fails with the member's log" "$out"
  fi
  : >"$WORK/none"
  check "the failed up leaves nothing behind" nothing_left "$Q" "$WORK/none"
}

main() {
  if ((EUID != 0)); then
    echo "lab_payments_test.sh needs root (network namespaces)"
    echo "0 passed, 1 failed"
    exit 1
  fi
  local bin
  for bin in "$PAYSVC_BIN" "$PAYROUTER_BIN" /usr/bin/etcd /usr/bin/etcdctl; do
    if [[ ! -x $bin ]]; then
      echo "$bin is missing: build payments/ (scripts/setup --binaries) and install etcd-server etcd-client (scripts/setup)"
      echo "0 passed, 1 failed"
      exit 1
    fi
  done
  echo "lab payments test: prefixes $P and $Q"
  refusals

  local t0 out rc inv
  t0=${EPOCHREALTIME/./}
  out=$("$LAB" up --payments --prefix "$P" 2>"$WORK/up.err")
  rc=$?
  echo "up --payments took $(((${EPOCHREALTIME/./} - t0) / 1000)) ms:"
  grep -E 'at [0-9]+ ms' "$WORK/up.err" | sed 's/^/    /'
  if ((rc != 0)); then
    fail "up --payments exits 0" "exit $rc" "$(tail -n 25 "$WORK/up.err")"
    summary
    exit 1
  fi
  pass "up --payments exits 0"
  inv=$LAB_ROOT/$P/inventory.yaml
  if [[ $out == "$inv" ]]; then
    pass "up prints only the inventory path"
  else
    fail "up prints only the inventory path" "stdout: $out"
  fi
  check "the inventory is version 2 with the users datacenter and the services, and injector reads it" \
    inventory_lists_services "$inv"
  check "status exits 0 and shows every payment process alive and answering" status_shows_payments
  check "etcd has 3 voting members and one leader (asked from users-1)" etcd_has_3_voters_and_a_leader
  check "etcd's data is in memory (a tmpfs), not on the shared disk" etcd_data_in_memory
  check "each payment service and the router answer GET /v1/health from users-1" services_healthy_from_users
  check "a payment through the router is applied once, served by sh, balances moved" payment_through_router

  # Isolate hz with the injector: hz's member loses quorum, sh and sz keep a leader.
  if fleet partition --isolate hz --detach --for 2m >"$WORK/partition.out" 2>&1; then
    pass "injector partition --isolate hz"
    check_shown "hz's member loses quorum while sh and sz keep a leader (within ${LOSE_QUORUM_BOUND_S}s)" \
      hz_loses_quorum_others_keep_it "$LOSE_QUORUM_BOUND_S"
    check "during the cut users reach sh's service but not hz's" users_cut_from_hz_only
    check_shown "sh takes over hz's units (within ${TAKEOVER_BOUND_S}s)" sh_took_over_hz_units "$TAKEOVER_BOUND_S"
  else
    fail "injector partition --isolate hz" "$(tail -n 20 "$WORK/partition.out")"
  fi
  check "injector revert --all" fleet revert --all
  check_shown "after the revert all 3 members are healthy again with one leader (within ${REGAIN_BOUND_S}s)" \
    quorum_restored "$REGAIN_BOUND_S"
  check "after the revert users reach hz's service again" services_healthy_from_users
  check_fails "before the failback hz's units are still sh's (failback is explicit)" units_all_home
  check "lab failback moves the units home" "$LAB" failback --prefix "$P"
  check "after the failback every unit is owned by its home" units_all_home
  check_fails "lab failback --dc of a datacenter without a payment service is refused" \
    "$LAB" failback --prefix "$P" --dc users

  lab_pids >"$WORK/pids"
  t0=${EPOCHREALTIME/./}
  check "down exits 0" "$LAB" down --prefix "$P"
  echo "down took $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
  check "down leaves no process, namespace, lab directory or etcd data" nothing_left "$P" "$WORK/pids"
  summary
}

main
