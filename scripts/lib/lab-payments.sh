# shellcheck shell=bash
# The payment system of `scripts/lab up --payments` (sourced by scripts/lab):
# one etcd member and one paysvc per payment datacenter, in host DC-1, and the
# router in users-1. Every process runs in a lab namespace, so all traffic
# between datacenters and from users crosses the router namespace's links,
# where the injector's faults act.
#
# Records, under /run/injector-lab/P:
#   payments/procs   one line per process: name, namespace, pid, url (tab-separated),
#                    in start order; `down` and `status` read it
#   etcd/<dc>        the members' data dirs (tmpfs: fsync is cheap)
#   log/<name>.log   each process's output (beside the daemons' log/HOST.log)

readonly ETCD_WAIT_S=15 SEED_WAIT_S=60 SERVICE_WAIT_S=15 FAILBACK_WAIT_S=10
readonly PAY_PORT=8080 ETCD_CLIENT_PORT=2379 ETCD_PEER_PORT=2380

# Resolves and checks the three binaries before anything is created; sets
# ETCD, PAYSVC and PAYROUTER.
payments_find_binaries() {
  ETCD=${ETCD_BIN:-/usr/bin/etcd}
  PAYSVC=${PAYSVC_BIN:-$REPO_DIR/build/payments/paysvc}
  PAYROUTER=${PAYROUTER_BIN:-$REPO_DIR/build/payments/payrouter}
  [[ -x $ETCD && ! -d $ETCD ]] ||
    die "etcd not found at '$ETCD': install Debian's etcd-server (scripts/setup does) or set ETCD_BIN"
  local what bin
  for what in paysvc payrouter; do
    [[ $what == paysvc ]] && bin=$PAYSVC || bin=$PAYROUTER
    [[ -x $bin && ! -d $bin ]] ||
      die "$what not found at '$bin': build it with 'scripts/setup --binaries' (or set ${what^^}_BIN)"
  done
}

# payments_spawn LABDIR NAME NAMESPACE URL CMD...: starts CMD in NAMESPACE in
# its own session, output to log/NAME.log, and records it.
payments_spawn() {
  local labdir=$1 name=$2 ns=$3 url=$4
  shift 4
  # A clean environment: etcd reads every ETCD_* variable as a flag.
  ip netns exec "$ns" setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" \
    </dev/null >"$labdir/log/$name.log" 2>&1 &
  STARTED_PIDS+=("$!")
  printf '%s\t%s\t%s\t%s\n' "$name" "$ns" "$!" "$url" >>"$labdir/payments/procs"
}

# payments_start_etcd LABDIR PREFIX DC...: one member per datacenter, in DC-1,
# datacenter K at 10.77.K.11.
payments_start_etcd() {
  local labdir=$1 prefix=$2
  shift 2
  local -a names=("$@")
  local k addr cluster=""
  for k in "${!names[@]}"; do
    cluster+="${cluster:+,}${names[k]}=http://10.77.$((k + 1)).11:$ETCD_PEER_PORT"
  done
  mkdir -p -- "$labdir"/{payments,etcd,log}
  # The members' data in memory: the lab emulates the network between
  # datacenters on one machine, and three members' fsyncs on one shared disk
  # measure that disk (~3.5 ms a sync here) instead. LAB_ETCD_ON_DISK=1 keeps
  # them on disk, to compare.
  if [[ ${LAB_ETCD_ON_DISK:-0} != 1 ]]; then
    mount -t tmpfs -o size=512m,mode=0700 injector-lab-etcd "$labdir/etcd" ||
      die "could not mount a tmpfs for etcd's data at $labdir/etcd (set LAB_ETCD_ON_DISK=1 to keep it on disk)"
  fi
  for k in "${!names[@]}"; do
    addr=10.77.$((k + 1)).11
    payments_spawn "$labdir" "etcd-${names[k]}" "$prefix-${names[k]}-1" "http://$addr:$ETCD_CLIENT_PORT" \
      "$ETCD" --name "${names[k]}" --data-dir "$labdir/etcd/${names[k]}" \
      --listen-client-urls "http://$addr:$ETCD_CLIENT_PORT" --advertise-client-urls "http://$addr:$ETCD_CLIENT_PORT" \
      --listen-peer-urls "http://$addr:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$addr:$ETCD_PEER_PORT" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "lab-$prefix" \
      --heartbeat-interval 50 --election-timeout 500 --pre-vote --logger zap --log-outputs stderr
  done
}

# The records of kind KIND (etcd, paysvc, payrouter), as "name ns pid url" lines.
payments_procs() {
  local labdir=$1 kind=$2
  [[ -f $labdir/payments/procs ]] || return 0
  awk -F'\t' -v k="$kind" '$1 == k || index($1, k "-") == 1' "$labdir/payments/procs"
}

# Fails with the last lines of log/NAME.log.
payments_die_with_log() {
  local labdir=$1 name=$2 why=$3 file=$1/log/$2.log
  log "error: $why"
  if [[ -s $file ]]; then
    log "last lines of $file:"
    tail -n 20 -- "$file" | sed 's/^/    /' >&2
  else
    log "($file is empty)"
  fi
  exit 1
}

# payments_wait_healthy LABDIR FROM_NS KIND PATH BOUND_S: waits until every
# process of KIND answers GET URL+PATH with 200, asked from namespace FROM_NS
# (so the request crosses the lab's links). A process that exits, or one still
# not answering at the bound, fails the up with its log.
payments_wait_healthy() {
  local labdir=$1 from=$2 kind=$3 path=$4 bound_s=$5
  local -a names=() pids=() urls=() args=() codes=()
  local name ns pid url i deadline
  while IFS=$'\t' read -r name ns pid url; do
    names+=("$name") pids+=("$pid") urls+=("$url")
  done < <(payments_procs "$labdir" "$kind")
  deadline=$(($(now_ms) + bound_s * 1000))
  while :; do
    args=()
    for url in "${urls[@]}"; do args+=(-o /dev/null "$url$path"); done
    mapfile -t codes < <(ip netns exec "$from" curl -s --connect-timeout 0.5 --max-time 1 \
      -w '%{http_code}\n' "${args[@]}" 2>/dev/null || true)
    local ready=0
    for i in "${!names[@]}"; do
      [[ ${codes[i]:-} == 200 ]] && { ready=$((ready + 1)); continue; }
      is_alive "${pids[i]}" || payments_die_with_log "$labdir" "${names[i]}" "${names[i]} exited before answering ${urls[i]}$path"
    done
    ((ready == ${#names[@]})) && return 0
    if (($(now_ms) >= deadline)); then
      for i in "${!names[@]}"; do
        [[ ${codes[i]:-} == 200 ]] ||
          payments_die_with_log "$labdir" "${names[i]}" "${names[i]} did not answer GET ${urls[i]}$path with 200 within ${bound_s}s (last: HTTP ${codes[i]:-none})"
      done
    fi
    sleep 0.05
  done
}

# payments_seed LABDIR PREFIX DC...: writes the configuration and accounts once,
# from DC-1 of the first datacenter through its own member.
payments_seed() {
  local labdir=$1 prefix=$2
  shift 2
  local -a names=("$@")
  local k takeover="" endpoints=""
  for k in "${!names[@]}"; do
    takeover+="${takeover:+,}${names[k]}=${names[(k + 1) % ${#names[@]}]}"
    endpoints+="${endpoints:+,}http://10.77.$((k + 1)).11:$ETCD_CLIENT_PORT"
  done
  local IFS=,
  if ! timeout --kill-after=2 "$SEED_WAIT_S" ip netns exec "$prefix-${names[0]}-1" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$PAYSVC" seed --etcd "$endpoints" \
    --datacenters "${names[*]}" --takeover "$takeover" </dev/null >"$labdir/log/paysvc-seed.log" 2>&1; then
    payments_die_with_log "$labdir" paysvc-seed "paysvc seed failed or took more than ${SEED_WAIT_S}s"
  fi
}

# payments_start_services LABDIR PREFIX USERS_NS USERS_ADDR DC...: one paysvc per
# datacenter (talking to its own member) and the router in the users' host.
payments_start_services() {
  local labdir=$1 prefix=$2 users_ns=$3 users_addr=$4
  shift 4
  local -a names=("$@") routes=()
  local k addr endpoints=""
  for k in "${!names[@]}"; do
    addr=10.77.$((k + 1)).11
    endpoints+="${endpoints:+,}http://$addr:$ETCD_CLIENT_PORT"
    routes+=(--service "${names[k]}=http://$addr:$PAY_PORT")
    payments_spawn "$labdir" "paysvc-${names[k]}" "$prefix-${names[k]}-1" "http://$addr:$PAY_PORT" \
      "$PAYSVC" serve --dc "${names[k]}" --listen "$addr:$PAY_PORT" --etcd "http://$addr:$ETCD_CLIENT_PORT"
  done
  payments_spawn "$labdir" payrouter "$users_ns" "http://$users_addr:$PAY_PORT" \
    "$PAYROUTER" --listen "$users_addr:$PAY_PORT" --etcd "$endpoints" "${routes[@]}"
}

# The inventory's services section (docs/inventory.md, version 2).
payments_inventory() {
  local labdir=$1 name ns pid url kind host
  printf 'services:\n'
  while IFS=$'\t' read -r name ns pid url; do
    case $name in
      payrouter) name=payments-api kind=payments-api ;;
      paysvc-*) name=payments-${name#paysvc-} kind=payments ;;
      etcd-*) kind=etcd ;;
      *) continue ;;
    esac
    host=${ns#*-}
    printf '  - name: %s\n    kind: %s\n    url: %s\n    host: %s\n' "$name" "$kind" "$url" "$host"
  done < <(payments_procs "$labdir" payrouter; payments_procs "$labdir" paysvc; payments_procs "$labdir" etcd)
}

# True if PID is alive and lives in network namespace NS (so a recycled pid
# is never signalled).
payments_owned() {
  local pid=$1 ns=$2
  [[ $pid =~ ^[0-9]+$ ]] && is_alive "$pid" || return 1
  # -ef: the same namespace file (device and inode), without a fork.
  [[ /proc/$pid/ns/net -ef /run/netns/$ns ]]
}

# SIGTERM to PIDS, SIGKILL to those left after TERM_WAIT_S.
payments_term_wait() {
  (($# > 0)) || return 0
  local -a alive=()
  local pid deadline
  kill -TERM "$@" 2>/dev/null || true
  deadline=$(($(now_ms) + TERM_WAIT_S * 1000))
  while :; do
    alive=()
    for pid in "$@"; do is_alive "$pid" && alive+=("$pid"); done
    ((${#alive[@]} == 0)) && return 0
    if (($(now_ms) >= deadline)); then
      log "${#alive[@]} payment process(es) still running after ${TERM_WAIT_S}s: SIGKILL ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      return 0
    fi
    sleep 0.02
  done
}

# Stops the recorded payment processes before the rest of the lab: the
# services first (they revoke their leases while etcd is still up), then the
# etcd members one at a time. A leader stopping hands leadership to a live
# member quickly; stopped together, a leader waits seconds for a dead one.
payments_stop() {
  local labdir=$1 name ns pid url
  [[ -f $labdir/payments/procs ]] || return 0
  local -a services=() members=()
  while IFS=$'\t' read -r name ns pid url; do
    payments_owned "$pid" "$ns" || continue
    [[ $name == etcd-* ]] && members+=("$pid") || services+=("$pid")
  done <"$labdir/payments/procs"
  ((${#services[@]} + ${#members[@]} > 0)) || return 0
  log "stopping ${#services[@]} payment service(s), then ${#members[@]} etcd member(s)"
  payments_term_wait "${services[@]}"
  for pid in "${members[@]}"; do payments_term_wait "$pid"; done
}

# Prints the payment processes' table for `status`; returns 1 if one is dead or
# not answering. Health is asked from inside the process's own namespace.
payments_status() {
  local labdir=$1 bad=0 name ns pid url state health code path
  [[ -f $labdir/payments/procs ]] || return 0
  printf '\n%-14s %-17s %-26s %-8s %-6s %s\n' PROCESS NAMESPACE URL PID STATE HEALTH
  while IFS=$'\t' read -r name ns pid url; do
    health=-
    if payments_owned "$pid" "$ns"; then
      state=alive
      [[ $name == etcd-* ]] && path=/health || path=/v1/health
      code=$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$url$path" 2>/dev/null || true)
      if [[ $code == 200 ]]; then
        health=ok
      else
        health="not answering (HTTP ${code:-none})"
        bad=1
      fi
    else
      state=dead
      bad=1
    fi
    printf '%-14s %-17s %-26s %-8s %-6s %s\n' "$name" "$ns" "$url" "$pid" "$state" "$health"
  done <"$labdir/payments/procs"
  return "$bad"
}

# payments_failback LABDIR USERS_NS [DC]: asks each payment service (or DC's
# only) to move its home units back (POST /v1/units/failback), from the
# users' side, and prints each answer. A service that rejoined a moment ago
# answers 503 until it holds a lease again: asked again for up to
# FAILBACK_WAIT_S. Fails if a service never answers 200 or a unit did not move.
payments_failback() {
  local labdir=$1 users_ns=$2 only=${3:-} name ns pid url answer code t0 bad=0 found=0
  while IFS=$'\t' read -r name ns pid url; do
    [[ -z $only || $name == "paysvc-$only" ]] || continue
    found=1
    t0=${EPOCHREALTIME/./}
    for ((;;)); do
      answer=$(ip netns exec "$users_ns" curl -s --max-time 5 -w '\n%{http_code}' \
        -H 'Content-Type: application/json' -d '{}' "$url/v1/units/failback" 2>/dev/null || true)
      code=${answer##*$'\n'}
      answer=${answer%$'\n'*}
      [[ $code == 200 ]] && break
      ((${EPOCHREALTIME/./} - t0 < FAILBACK_WAIT_S * 1000000)) || break
      sleep 0.2
    done
    printf '%s: HTTP %s %s\n' "${name#paysvc-}" "${code:-none}" "$answer"
    [[ $code == 200 && $answer == *'"failed":[]'* ]] || bad=1
  done < <(payments_procs "$labdir" paysvc)
  ((found)) || die "no payment service${only:+ in datacenter '$only'} in this lab (was it brought up with --payments?)"
  return "$bad"
}
