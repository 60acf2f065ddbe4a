#!/usr/bin/env bash
# End-to-end test of scripts/lab, with real namespaces, traffic and daemons.
#
#   tests/scripts/lab_test.sh <repo-root> <path-to-injectord> <path-to-injector>
#
# Needs root. Uses its own lab prefixes and always takes its labs down, even
# when it fails or is interrupted. Last line: "N passed, N failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 2

if (($# != 3)); then
  echo "usage: $0 <repo-root> <path-to-injectord> <path-to-injector>" >&2
  exit 2
fi
REPO=$(cd -- "$1" && pwd) || exit 2
export INJECTORD_BIN=$2 INJECTOR_BIN=$3
readonly REPO LAB=$REPO/scripts/lab LAB_ROOT=/run/injector-lab

# Two unique prefixes (8 characters of [a-z0-9]) from the pid and a random digit.
SUFFIX=$(unique_suffix)
readonly P=lt$SUFFIX Q=lu$SUFFIX
WORK=$(mktemp -d /tmp/lab_test.XXXXXX) || exit 2
readonly WORK

cleanup() {
  "$LAB" down --prefix "$Q" >/dev/null 2>&1
  "$LAB" down --prefix "$P" >/dev/null 2>&1
  rm -rf -- "$WORK"
}
on_exit cleanup

# The namespaces whose name starts with PREFIX-.
namespaces_of() {
  ip netns list | awk -v p="$1-" 'index($1, p) == 1 { print $1 }' | sort
}

# Names of the hosts (hz-1, ...) of lab PREFIX, from its host list.
hosts_of() {
  awk -F'\t' '!/^#/ && NF { print $1 }' "$LAB_ROOT/$1/hosts"
}

# IPv4 and IPv6 address of HOST in lab PREFIX.
addresses_of() {
  awk -F'\t' -v h="$2" '$1 == h { print $4; print $5 }' "$LAB_ROOT/$1/hosts"
}

# Pings every host of every other datacenter from every host, IPv4 and IPv6,
# all pairs at once. Prints one line per failed pair; fails if any did.
ping_mesh() {
  local prefix=$1 from to dc_from dc_to addr
  local -a hosts jobs=() what=()
  mapfile -t hosts < <(hosts_of "$prefix")
  for from in "${hosts[@]}"; do
    dc_from=${from%-*}
    for to in "${hosts[@]}"; do
      dc_to=${to%-*}
      [[ $dc_from == "$dc_to" ]] && continue
      while read -r addr; do
        ip netns exec "$prefix-$from" ping -c 2 -W 1 "$addr" >/dev/null 2>&1 &
        jobs+=("$!")
        what+=("$from -> $to ($addr)")
      done < <(addresses_of "$prefix" "$to")
    done
  done
  local i bad=0
  for i in "${!jobs[@]}"; do
    if ! wait "${jobs[i]}"; then
      echo "no reply: ${what[i]}"
      bad=$((bad + 1))
    fi
  done
  echo "${#jobs[@]} cross-datacenter pings, $bad failed"
  ((bad == 0))
}

# Pings ADDR from HOST of lab PREFIX.
ping_one() {
  ip netns exec "$1-$2" ping -c 2 -W 1 "$3"
}

# True if PID is a live process (a zombie counts as dead).
is_alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Fails if any daemon of lab PREFIX (pids saved in FILE) is still running.
no_daemons_left() {
  local prefix=$1 file=$2 pid bad=0
  while read -r pid; do
    if is_alive "$pid"; then
      echo "daemon pid $pid is still running"
      bad=1
    fi
  done <"$file"
  local left
  left=$(pgrep -f -- "$LAB_ROOT/$prefix/sock/" || true)
  if [[ -n $left ]]; then
    echo "processes still naming the lab's sockets: $left"
    bad=1
  fi
  return "$bad"
}

# Fails if anything named after PREFIX is left in the root namespace.
nothing_left() {
  local prefix=$1 bad=0
  if [[ -n $(namespaces_of "$prefix") ]]; then
    echo "namespaces left: $(namespaces_of "$prefix" | tr '\n' ' ')"
    bad=1
  fi
  if ip -o link show | grep -F -- "$prefix"; then
    echo "links in the root namespace name $prefix"
    bad=1
  fi
  if [[ -e $LAB_ROOT/$prefix ]]; then
    echo "$LAB_ROOT/$prefix is left"
    bad=1
  fi
  return "$bad"
}

inventory_shape_ok() {
  local inv=$1 dcs hosts
  grep -qx 'version: 1' "$inv" || { echo "no 'version: 1'"; return 1; }
  dcs=$(awk '/^datacenters:/ { s = 1; next } /^[a-z]/ { s = 0 } s && /^  - name:/ { n++ } END { print n + 0 }' "$inv")
  hosts=$(awk '/^hosts:/ { s = 1; next } /^[a-z]/ { s = 0 } s && /^  - name:/ { n++ } END { print n + 0 }' "$inv")
  echo "datacenters: $dcs, hosts: $hosts"
  [[ $dcs == 3 && $hosts == 6 ]] || return 1
  local want
  for want in '    cidrs: \[10\.77\.2\.0/24, "fd77:0:2::/64"\]' \
    '    daemon: unix:/run/injector-lab/[a-z0-9]+/sock/sz-2\.sock' \
    '    addresses: \[10\.77\.3\.12, "fd77:0:3::12"\]' \
    '    device: eth0' '    datacenter: sh'; do
    grep -Eq "^$want" "$inv" || { echo "missing line matching: $want"; return 1; }
  done
  # Every daemon address is a live socket file.
  local sock
  while read -r sock; do
    [[ -S $sock ]] || { echo "not a socket: $sock"; return 1; }
  done < <(sed -n 's/^    daemon: unix://p' "$inv")
}

namespaces_exist() {
  local prefix=$1 want got
  want=$(printf '%s\n' "$prefix-router" "$prefix"-{hz,sh,sz}-{1,2} | sort)
  got=$(namespaces_of "$prefix")
  echo "have: $got"
  [[ $want == "$got" ]]
}

health_all() {
  local prefix=$1 host code bad=0
  while read -r host; do
    code=$(curl -s -o "$WORK/health.json" -w '%{http_code}' --max-time 5 \
      --unix-socket "$LAB_ROOT/$prefix/sock/$host.sock" http://x/v1/health)
    if [[ $code != 200 ]]; then
      echo "$host: HTTP ${code:-none}"
      bad=1
    fi
  done < <(hosts_of "$prefix")
  return "$bad"
}

lab_dir_gone() { [[ ! -e $LAB_ROOT/$1 ]]; }

main() {
  if ((EUID != 0)); then
    echo "lab_test.sh needs root (network namespaces)"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "lab test: prefixes $P and $Q, injectord $INJECTORD_BIN"
  if [[ -n $(namespaces_of "$P") || -n $(namespaces_of "$Q") || -e $LAB_ROOT/$P || -e $LAB_ROOT/$Q ]]; then
    echo "prefix $P or $Q already in use; not touching it"
    echo "0 passed, 1 failed"
    trap - EXIT
    rm -rf -- "$WORK"
    exit 1
  fi

  # up
  local t0 out rc inv
  t0=${EPOCHREALTIME/./}
  out=$("$LAB" up --dcs 3 --hosts-per-dc 2 --prefix "$P" 2>"$WORK/up.err")
  rc=$?
  echo "up 3x2 took $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
  if ((rc != 0)); then
    fail "up --dcs 3 --hosts-per-dc 2 exits 0" "exit $rc" "$(tail -n 20 "$WORK/up.err")"
    summary
    exit 1
  fi
  pass "up --dcs 3 --hosts-per-dc 2 exits 0"
  if [[ $(wc -l <<<"$out") == 1 && $out == "$LAB_ROOT/$P/inventory.yaml" && -f $out ]]; then
    pass "up prints only the inventory path, and it exists"
  else
    fail "up prints only the inventory path, and it exists" "stdout: $out"
  fi
  inv=$LAB_ROOT/$P/inventory.yaml
  check "inventory lists 3 datacenters and 6 hosts" inventory_shape_ok "$inv"
  check "the namespaces exist" namespaces_exist "$P"
  check "every host reaches every host of other datacenters (IPv4, IPv6)" ping_mesh "$P"
  check "status exits 0" "$LAB" status --prefix "$P"
  if command -v curl >/dev/null 2>&1; then
    check "every daemon answers GET /v1/health with 200" health_all "$P"
  else
    echo "SKIP: health check over the sockets (curl is not installed)"
  fi

  check_fails "up again with the same prefix fails" "$LAB" up --prefix "$P"
  check "the first lab is intact after the refused up" namespaces_exist "$P"
  check "status still exits 0 after the refused up" "$LAB" status --prefix "$P"

  # A second lab alongside.
  out=$("$LAB" up --prefix "$Q" 2>"$WORK/up2.err")
  rc=$?
  if ((rc == 0)) && [[ -f $out ]]; then
    pass "a second lab ($Q) comes up alongside"
  else
    fail "a second lab ($Q) comes up alongside" "exit $rc" "$(tail -n 20 "$WORK/up2.err")"
  fi
  check "the second lab carries traffic across datacenters" ping_mesh "$Q"
  check "the first lab still carries IPv4 while the second is up" ping_one "$P" hz-1 10.77.3.12
  check "the second lab goes down" "$LAB" down --prefix "$Q"
  check "nothing of the second lab is left" nothing_left "$Q"
  check "the first lab still has all its namespaces" namespaces_exist "$P"
  check "the first lab still pings across datacenters (IPv4, IPv6)" ping_mesh "$P"
  check "status of the first lab still exits 0" "$LAB" status --prefix "$P"

  # down
  cat "$LAB_ROOT/$P"/pid/*.pid >"$WORK/pids" 2>/dev/null
  t0=${EPOCHREALTIME/./}
  check "down exits 0" "$LAB" down --prefix "$P"
  echo "down 3x2 took $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
  check "down removes all namespaces of the prefix" test -z "$(namespaces_of "$P")"
  check "down removes the lab directory" lab_dir_gone "$P"
  check "no daemon of the lab remains" no_daemons_left "$P" "$WORK/pids"
  check "down again exits 0" "$LAB" down --prefix "$P"
  check_fails "status of a lab that is down exits non-zero" "$LAB" status --prefix "$P"
  check "nothing with the prefix remains in the root namespace" nothing_left "$P"

  summary
}

main
