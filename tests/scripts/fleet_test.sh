#!/usr/bin/env bash
# End-to-end test of the fleet commands (injector partition/link/status/revert)
# on a lab of 3 datacenters x 2 hosts, judged by real traffic: the full
# connectivity matrix, per-device packet counters and round-trip times.
#
#   tests/scripts/fleet_test.sh <repo-root> <path-to-injectord> <path-to-injector>
#
# Needs root. Uses its own lab prefix and always takes the lab down.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 2

if (($# != 3)); then
  echo "usage: $0 <repo-root> <path-to-injectord> <path-to-injector>" >&2
  exit 2
fi
REPO=$(cd -- "$1" && pwd) || exit 2
export INJECTORD_BIN=$2
readonly REPO LAB=$REPO/scripts/lab LAB_ROOT=/run/injector-lab INJECTOR=$3
readonly P=lf$(unique_suffix)
WORK=$(mktemp -d /tmp/fleet_test.XXXXXX) || exit 2
readonly WORK INV=$LAB_ROOT/$P/inventory.yaml
# The 48-host isolation's activation skew must stay under this (ms). Measured
# 45-66 ms in 3 runs on a 2-core machine shared with two builds; a daemon
# activating up to 0.8 s late (planted) gave 801 ms.
readonly SKEW_BOUND_MS=500

cleanup() {
  [[ -n ${HOLDER:-} ]] && kill -9 "$HOLDER" 2>/dev/null
  "$LAB" down --prefix "$P" >/dev/null 2>&1
  rm -rf -- "$WORK"
}
on_exit cleanup

fleet() { "$INJECTOR" "$@" --inventory "$INV"; }
hosts() { awk -F'\t' '!/^#/ && NF { print $1 }' "$LAB_ROOT/$P/hosts"; }
v4_of() { awk -F'\t' -v h="$1" '$1 == h { print $4 }' "$LAB_ROOT/$P/hosts"; }
v6_of() { awk -F'\t' -v h="$1" '$1 == h { print $5 }' "$LAB_ROOT/$P/hosts"; }
active_faults() { fleet status --output json | grep -c '"id": "f-'; }

# matrix EXPECT: pings every ordered pair of hosts (IPv4 and IPv6) at once and
# compares with EXPECT FROM_DC TO_DC, a function that says whether the pair
# should reach (exit 0) or not. Prints each mismatch; fails if there is any.
matrix() {
  local expect=$1 from to addr
  local -a jobs=() what=() want=()
  for from in $(hosts); do
    for to in $(hosts); do
      [[ $from == "$to" ]] && continue
      for addr in "$(v4_of "$to")" "$(v6_of "$to")"; do
        ip netns exec "$P-$from" ping -c 2 -i 0.2 -W 1 "$addr" >/dev/null 2>&1 &
        jobs+=("$!")
        what+=("$from -> $to ($addr)")
        if "$expect" "${from%-*}" "${to%-*}"; then want+=(reach); else want+=(cut); fi
      done
    done
  done
  local i got bad=0
  for i in "${!jobs[@]}"; do
    ping_outcome "${jobs[i]}"
    got=$OUTCOME
    if [[ $got != "${want[i]}" ]]; then
      echo "${what[i]}: expected ${want[i]}, got $got"
      bad=$((bad + 1))
    fi
  done
  echo "${#jobs[@]} pairs, $bad not as expected"
  ((bad == 0))
}

all_reach() { return 0; }
hz_isolated() { [[ $1 == "$2" || ($1 != hz && $2 != hz) ]]; }
sz_against_hz_sh() { [[ $1 == "$2" || ($1 != sz && $2 != sz) ]]; }

# check_matrix NAME EXPECT
check_matrix() {
  if matrix "$2" >"$WORK/matrix" 2>&1; then pass "$1"; else fail "$1" "$(cat "$WORK/matrix")"; fi
}

# rx_delta FROM TO: how many more packets TO's eth0 received after FROM sent it 20 pings.
rx_delta() {
  local before after
  before=$(ip netns exec "$P-$2" cat /sys/class/net/eth0/statistics/rx_packets)
  ip netns exec "$P-$1" ping -c 20 -i 0.01 -W 1 "$(v4_of "$2")" >/dev/null 2>&1
  after=$(ip netns exec "$P-$2" cat /sys/class/net/eth0/statistics/rx_packets)
  echo $((after - before))
}

# median_rtt FROM TO: median round trip in whole ms over 40 pings.
median_rtt() {
  ip netns exec "$P-$1" ping -c 40 -i 0.05 -W 2 "$(v4_of "$2")" 2>/dev/null |
    awk -F'time=' '/time=/ { split($2, a, " "); print a[1] }' | sort -n | awk '{ v[NR] = $1 } END { printf "%d\n", v[int((NR + 1) / 2)] }'
}

"$LAB" up --prefix "$P" --dcs 3 --hosts-per-dc 2 >/dev/null 2>"$WORK/lab.err" || { cat "$WORK/lab.err"; exit 1; }

if "$INJECTOR" inventory check "$INV" >"$WORK/out" 2>&1; then
  pass "inventory check reaches every daemon"
else
  fail "inventory check reaches every daemon" "$(cat "$WORK/out")"
fi
check_matrix "baseline: every pair reaches" all_reach

fleet partition --isolate hz --dry-run >"$WORK/out" 2>&1
if [[ $(grep -c ': cut$' "$WORK/out") == 6 && $(active_faults) == 0 ]]; then
  pass "dry run prints 6 per-host faults and changes nothing"
else
  fail "dry run prints 6 per-host faults and changes nothing" "$(cat "$WORK/out")"
fi

# Isolate hz, detached, then status and revert by operation id.
fleet partition --isolate hz --detach --for 2m >"$WORK/out" 2>&1
op=$(sed -n 's/^applied \(op-[0-9a-f]*\):.*/\1/p' "$WORK/out")
[[ -n $op && $(active_faults) == 6 ]] && pass "isolate hz: 6 faults active, status shows them" ||
  fail "isolate hz: 6 faults active, status shows them" "$(cat "$WORK/out")"
check_matrix "isolate hz cuts exactly the pairs crossing hz" hz_isolated
fleet revert --op "$op" >"$WORK/out" 2>&1
[[ $(active_faults) == 0 ]] && pass "revert --op removes the operation everywhere" || fail "revert --op" "$(cat "$WORK/out")"
check_matrix "after revert every pair reaches again" all_reach

# One way: hz's outgoing traffic only. sz -> hz still arrives; hz -> sz does not.
fleet partition --isolate hz --one-way --detach --for 2m >/dev/null 2>&1
in_hz=$(rx_delta sz-1 hz-1)
in_sz=$(rx_delta hz-1 sz-1)
((in_hz >= 20 && in_sz < 5)) && pass "one-way: sz->hz arrives ($in_hz rx), hz->sz does not ($in_sz rx)" ||
  fail "one-way isolate" "rx at hz-1 from sz-1: $in_hz (want >= 20); at sz-1 from hz-1: $in_sz (want < 5)"
fleet revert --all >/dev/null 2>&1

# A grudge between groups: {hz, sh} against {sz}.
fleet partition --group hz,sh --group sz --detach --for 2m >/dev/null 2>&1
check_matrix "grudge {hz,sh} | {sz}: only pairs crossing the groups are cut" sz_against_hz_sh
fleet revert --all >/dev/null 2>&1

# A link delay: 30 ms each way raises the round trip by about 60 ms; one way by 30.
base=$(median_rtt hz-1 sz-1)
fleet link --between hz:sz --detach --for 2m delay --delay 30ms >/dev/null 2>&1
both=$(median_rtt hz-1 sz-1)
fleet revert --all >/dev/null 2>&1
fleet link --between hz:sz --one-way --detach --for 2m delay --delay 30ms >/dev/null 2>&1
one=$(median_rtt hz-1 sz-1)
fleet revert --all >/dev/null 2>&1
((both - base >= 58 && both - base <= 63 && one - base >= 29 && one - base <= 32)) &&
  pass "link delay 30ms: RTT +$((both - base)) ms both ways, +$((one - base)) ms one way" ||
  fail "link delay 30ms" "median RTT: base $base ms, both ways $both ms (want +60), one way $one ms (want +30)"

# Ctrl-C while holding reverts the whole fleet.
# The CLI itself in the background (not a shell function, whose subshell
# would get the signal instead); --for bounds it if the signal were lost.
"$INJECTOR" partition --inventory "$INV" --isolate sz --for 60s >"$WORK/hold.out" 2>&1 &
HOLDER=$!
for _ in $(seq 50); do [[ $(active_faults) == 6 ]] && break; sleep 0.1; done
held=$(active_faults)
kill -INT "$HOLDER"
wait "$HOLDER"
rc=$?
HOLDER=
[[ $held == 6 && $rc == 0 && $(active_faults) == 0 ]] && pass "Ctrl-C during a hold reverts every host" ||
  fail "Ctrl-C during a hold" "held $held faults, exit $rc, left $(active_faults)" "$(cat "$WORK/hold.out")"

# One daemon down: the apply fails with its name, the others are rolled back.
kill -9 "$(cat "$LAB_ROOT/$P/pid/sz-2.pid")"
fleet partition --isolate hz --detach --for 2m >"$WORK/out" 2>&1
rc=$?
left=$(fleet status --output json 2>/dev/null | grep -c '"id": "f-')
if [[ $rc == 11 && $left == 0 ]] && grep -q "sz-2: failed" "$WORK/out"; then
  pass "one daemon down: exit 11 naming sz-2, every other host rolled back"
else
  fail "one daemon down" "exit $rc (want 11), faults left $left" "$(cat "$WORK/out")"
fi
check_matrix "after the rollback every live pair reaches" all_reach

# Scale: the same isolation on 3 x 16 = 48 hosts, each with its own daemon.
"$LAB" down --prefix "$P" >/dev/null 2>&1
if "$LAB" up --prefix "$P" --dcs 3 --hosts-per-dc 16 >/dev/null 2>"$WORK/lab.err"; then
  fleet partition --isolate hz --detach --for 2m --output json >"$WORK/out" 2>&1
  active=$(active_faults)
  # Every host pings one host of each other datacenter (host 1 there).
  bad=0
  declare -a jobs=() what=() want=()
  for from in $(hosts); do
    for dc in hz sh sz; do
      [[ ${from%-*} == "$dc" ]] && continue
      ip netns exec "$P-$from" ping -c 2 -i 0.2 -W 1 "$(v4_of "$dc-1")" >/dev/null 2>&1 &
      jobs+=("$!")
      what+=("$from -> $dc-1")
      if hz_isolated "${from%-*}" "$dc"; then want+=(reach); else want+=(cut); fi
    done
  done
  for i in "${!jobs[@]}"; do
    ping_outcome "${jobs[i]}"
    got=$OUTCOME
    [[ $got == "${want[i]}" ]] || { bad=$((bad + 1)); echo "${what[i]}: expected ${want[i]}, got $got" >>"$WORK/scale"; }
  done
  skew=$(sed -n 's/.*"skew_ms": \([0-9.]*\).*/\1/p' "$WORK/out")
  fleet revert --all >/dev/null 2>&1
  left=$(active_faults)
  # Every daemon activates at one agreed instant (the lab's hosts share one
  # clock), so the skew between the first and the last kernel change is each
  # daemon's timer wake-up: SKEW_BOUND_MS is far above what a loaded 2-core
  # machine gives (see the commit that set it) and far below hosts changing
  # one after another as their commits arrive (48 x the per-host time).
  skew_ok=0
  [[ -n $skew ]] && awk -v s="$skew" -v b="$SKEW_BOUND_MS" 'BEGIN { exit !(s < b) }' && skew_ok=1
  if [[ $active == 48 && $bad == 0 && $left == 0 && $skew_ok == 1 ]]; then
    pass "48 hosts: isolate hz puts 48 faults in place (skew $skew ms < $SKEW_BOUND_MS), ${#jobs[@]} probes as expected, revert clears all"
  else
    fail "48 hosts: isolate hz" "active $active (want 48), probes wrong $bad, left after revert $left, skew ${skew:-none} ms (want < $SKEW_BOUND_MS)" "$(cat "$WORK/scale" 2>/dev/null)" "$(tail -5 "$WORK/out")"
  fi
else
  fail "48 hosts: lab up" "$(tail -5 "$WORK/lab.err")"
fi

summary
