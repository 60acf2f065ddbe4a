#!/usr/bin/env bash
# Smoke test of the kernel's netem, for the stock-kernel lane: run it through
#
#   scripts/vm-test tests/vm/netem_smoke.sh
#
# Two namespaces of its own joined by a veth pair; the median ping RTT must
# rise by 25-40 ms when `netem delay 30ms` sits on one end, and fall back when
# it is removed. All traffic stays inside those namespaces, which are removed
# even when the test fails or is interrupted.
#
# Kernels without netem (this project's dev/CI machines) cannot run it: there
# it stops with a message and exit status 77 (a skip for CTest), except in the
# VM (VM_TEST=1), where a missing netem is a failure.
# Needs root, iproute2 and iputils-ping. Last line: "N passed, N failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh" || exit 1

readonly DELAY_MS=30 MIN_RISE_MS=25 MAX_RISE_MS=40 PINGS=20
# Unique names, so parallel runs and leftovers of others never collide.
SUFFIX=$(unique_suffix)
readonly NS_A=vmnetem${SUFFIX}a NS_B=vmnetem${SUFFIX}b
readonly ADDR_A=10.231.250.1 ADDR_B=10.231.250.2

# refuse REASON: this kernel cannot run the test.
refuse() {
  echo "netem_smoke: $1" >&2
  if [ "${VM_TEST:-}" = 1 ]; then
    echo "netem_smoke: inside scripts/vm-test netem must be there: failing" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "netem_smoke: skipped; run it on a stock kernel: scripts/vm-test tests/vm/netem_smoke.sh" >&2
  exit 77
}

# Before touching anything: is there a netem at all?
check_kernel() {
  [ "$(id -u)" -eq 0 ] || refuse "needs root (namespaces, traffic control)"
  if [ -r /proc/config.gz ]; then
    zcat /proc/config.gz | grep -qE '^CONFIG_NET_SCH_NETEM=[ym]' ||
      refuse "this kernel ($(uname -r)) is built without netem (CONFIG_NET_SCH_NETEM is not set in /proc/config.gz)"
  elif [ ! -d /sys/module/sch_netem ]; then
    modprobe -q sch_netem 2>/dev/null || true
    [ -d /sys/module/sch_netem ] || refuse "this kernel ($(uname -r)) has no sch_netem module loaded or loadable"
  fi
}

cleanup() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}

setup_namespaces() {
  ip netns add "$NS_A" &&
    ip netns add "$NS_B" &&
    ip -n "$NS_A" link add veth0 type veth peer name veth0 netns "$NS_B" &&
    ip -n "$NS_A" addr add "$ADDR_A/24" dev veth0 &&
    ip -n "$NS_B" addr add "$ADDR_B/24" dev veth0 &&
    ip -n "$NS_A" link set veth0 up &&
    ip -n "$NS_B" link set veth0 up &&
    ip -n "$NS_A" link set lo up &&
    ip -n "$NS_B" link set lo up
}

# median_rtt: pings B from A; prints the median RTT in ms of the replies, and
# fails unless at least 90% of the pings were answered.
median_rtt() {
  local out
  out=$(ip netns exec "$NS_A" ping -n -c "$PINGS" -i 0.05 -W 2 "$ADDR_B" 2>&1)
  printf '%s\n' "$out" | awk -v want="$PINGS" '
    match($0, /time=[0-9.]+/) { rtt[n++] = substr($0, RSTART + 5, RLENGTH - 5) + 0 }
    END {
      if (n < want * 0.9) { printf "only %d of %d replies\n", n, want > "/dev/stderr"; exit 1 }
      # insertion sort: n is small
      for (i = 1; i < n; i++) { v = rtt[i]; for (j = i - 1; j >= 0 && rtt[j] > v; j--) rtt[j + 1] = rtt[j]; rtt[j + 1] = v }
      m = (n % 2) ? rtt[int(n / 2)] : (rtt[n / 2 - 1] + rtt[n / 2]) / 2
      printf "%.3f\n", m
    }'
}

# in_range X LO HI: LO <= X <= HI, for decimals.
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

main() {
  check_kernel
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local base delayed after='' err
  if ! err=$(setup_namespaces 2>&1); then
    fail "two namespaces joined by a veth pair" "$err"
    summary
    exit 1
  fi
  pass "two namespaces joined by a veth pair"

  if base=$(median_rtt 2>&1) && in_range "$base" 0 10; then
    pass "baseline median RTT ${base} ms (below 10 ms)"
  else
    fail "baseline ping between the namespaces" "$base"
    summary
    exit 1
  fi

  if ! err=$(ip netns exec "$NS_A" tc qdisc add dev veth0 root netem delay "${DELAY_MS}ms" 2>&1); then
    # The module check above can be fooled (e.g. no /proc/config.gz and a
    # stale /sys entry); the kernel's answer is the one that counts.
    if grep -q 'qdisc kind is unknown' <<<"$err"; then refuse "the kernel does not know the netem qdisc ($err)"; fi
    fail "tc qdisc add ... netem delay ${DELAY_MS}ms" "$err"
  elif ip netns exec "$NS_A" tc qdisc show dev veth0 | grep -q "netem .*delay ${DELAY_MS}"; then
    pass "netem delay ${DELAY_MS}ms on veth0 in $NS_A"
  else
    fail "netem shows in tc qdisc show" "$(ip netns exec "$NS_A" tc qdisc show dev veth0)"
  fi

  if delayed=$(median_rtt 2>&1); then
    local rise
    rise=$(awk -v a="$delayed" -v b="$base" 'BEGIN { printf "%.3f", a - b }')
    if in_range "$rise" "$MIN_RISE_MS" "$MAX_RISE_MS"; then
      pass "median RTT rose by ${rise} ms to ${delayed} ms (want ${MIN_RISE_MS}-${MAX_RISE_MS})"
    else
      fail "median RTT rose by ${MIN_RISE_MS}-${MAX_RISE_MS} ms" "it rose by ${rise} ms: ${base} -> ${delayed} ms"
    fi
  else
    fail "ping with netem delay" "$delayed"
  fi

  if ! err=$(ip netns exec "$NS_A" tc qdisc del dev veth0 root 2>&1); then
    fail "tc qdisc del ... root" "$err"
  elif after=$(median_rtt 2>&1) && in_range "$after" 0 "$(awk -v b="$base" 'BEGIN { print b + 10 }')"; then
    pass "median RTT back to ${after} ms once netem is removed"
  else
    fail "median RTT back near the baseline once netem is removed" "$after"
  fi

  summary
}

main "$@"
