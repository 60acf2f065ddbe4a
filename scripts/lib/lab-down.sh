# shellcheck shell=bash
# Taking a lab down (sourced by scripts/lab): finding every process in the
# lab's namespaces, stopping them, deleting the namespaces and the lab's
# directory; and `status`, which reads the same records.

# True if PID is a live process (zombies count as dead).
is_alive() {
  local pid=$1 stat
  [[ -r /proc/$pid/stat ]] || return 1
  { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# True if process PID's command line contains the argument ARG.
cmdline_has() {
  local pid=$1 want=$2 arg
  local -a args=()
  { mapfile -d '' args <"/proc/$pid/cmdline"; } 2>/dev/null || return 1
  for arg in "${args[@]}"; do [[ $arg == "$want" ]] && return 0; done
  return 1
}

# Prints the pids of all processes whose network namespace is one of the named ones.
pids_in_namespaces() {
  (($# > 0)) || return 0
  local -A inode_of_ns=()
  local inode name line pid
  local -a files=()
  for name in "$@"; do files+=("/run/netns/$name"); done
  while read -r inode name; do
    inode_of_ns[$inode]=$name
  done < <(stat -L -c '%i %n' -- "${files[@]}" 2>/dev/null || true)
  ((${#inode_of_ns[@]} > 0)) || return 0
  local -a links=(/proc/[0-9]*/ns/net)
  while read -r line; do
    # line: "net:[4026532281] /proc/1234/ns/net"
    inode=${line#net:[}
    inode=${inode%%]*}
    [[ -n ${inode_of_ns[$inode]:-} ]] || continue
    pid=${line#* /proc/}
    pid=${pid%%/*}
    ((pid != $$)) && printf '%s\n' "$pid"
  done < <(find "${links[@]}" -maxdepth 0 -printf '%l %p\n' 2>/dev/null || true)
}

# Stops the daemons and deletes the namespaces and directory of lab PREFIX.
# Never fails; says what it did on stderr. Returns 1 if there was nothing.
teardown() {
  local prefix=$1 labdir=$LAB_ROOT/$1
  local -a namespaces pids=() alive=()
  local pid file deadline
  mapfile -t namespaces < <(lab_namespaces "$prefix")
  if [[ ! -e $labdir ]] && ((${#namespaces[@]} == 0)); then
    return 1
  fi

  # The payment system first, in its own order; then the daemons: those
  # recorded (if still the lab's), and anything running in the lab's namespaces.
  payments_stop "$labdir"
  local -A kill_set=()
  if [[ -d $labdir/pid ]]; then
    for file in "$labdir"/pid/*.pid; do
      [[ -f $file ]] || continue
      read -r pid <"$file" 2>/dev/null || continue
      [[ $pid =~ ^[0-9]+$ ]] || continue
      local host=${file##*/}
      host=${host%.pid}
      if is_alive "$pid" && cmdline_has "$pid" "$labdir/sock/$host.sock"; then
        kill_set[$pid]=1
      fi
    done
  fi
  while read -r pid; do kill_set[$pid]=1; done < <(pids_in_namespaces "${namespaces[@]}")
  for pid in "${STARTED_PIDS[@]}"; do is_alive "$pid" && kill_set[$pid]=1; done
  pids=("${!kill_set[@]}")

  if ((${#pids[@]} > 0)); then
    log "stopping ${#pids[@]} process(es) of lab '$prefix' (SIGTERM)"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    deadline=$(($(now_ms) + TERM_WAIT_S * 1000))
    while :; do
      alive=()
      for pid in "${pids[@]}"; do is_alive "$pid" && alive+=("$pid"); done
      ((${#alive[@]} == 0)) && break
      if (($(now_ms) >= deadline)); then
        log "${#alive[@]} process(es) still running after ${TERM_WAIT_S}s: SIGKILL ${alive[*]}"
        kill -KILL "${alive[@]}" 2>/dev/null || true
        sleep 0.2
        break
      fi
      sleep 0.05
    done
  fi

  if ((${#namespaces[@]} > 0)); then
    log "deleting ${#namespaces[@]} namespace(s) of lab '$prefix'"
    local name batch=""
    for name in "${namespaces[@]}"; do batch+="netns del $name"$'\n'; done
    if ! ip -force -batch - <<<"$batch" >&2; then
      log "warning: some namespaces of lab '$prefix' could not be deleted"
    fi
  fi
  # etcd's tmpfs (lab-payments.sh) goes once its members are stopped.
  if mountpoint -q -- "$labdir/etcd" 2>/dev/null && ! umount -- "$labdir/etcd"; then
    log "warning: $labdir/etcd is busy; detaching it lazily"
    umount -l -- "$labdir/etcd" || true
  fi
  rm -rf -- "$labdir"
  rmdir -- "$LAB_ROOT" 2>/dev/null || true
  return 0
}

cmd_status() {
  parse_prefix_only status "$@"
  local labdir=$LAB_ROOT/$PREFIX
  if [[ ! -f $labdir/hosts || ! -f $labdir/inventory.yaml ]]; then
    local -a leftovers
    mapfile -t leftovers < <(lab_namespaces "$PREFIX")
    if ((${#leftovers[@]} > 0)); then
      echo "lab '$PREFIX' is not up, but ${#leftovers[@]} namespace(s) of it remain: run 'scripts/lab down --prefix $PREFIX'"
    else
      echo "lab '$PREFIX' is not up"
    fi
    return 1
  fi

  local have_curl=0
  command -v curl >/dev/null 2>&1 && have_curl=1
  local bad=0 host ns v4 v6 pid sock alive health code
  printf '%-8s %-17s %-11s %-14s %-8s %-6s %s\n' HOST NAMESPACE IPV4 IPV6 PID DAEMON HEALTH
  while IFS=$'\t' read -r host _ ns v4 v6; do
    [[ $host == '#'* || -z $host ]] && continue
    pid=-
    [[ -r $labdir/pid/$host.pid ]] && read -r pid <"$labdir/pid/$host.pid"
    sock=$labdir/sock/$host.sock
    if [[ ! -e /run/netns/$ns ]]; then
      alive="no-ns"
      bad=1
    elif [[ $pid =~ ^[0-9]+$ ]] && is_alive "$pid"; then
      alive=alive
    else
      alive=dead
      bad=1
    fi
    if [[ $alive != alive ]]; then
      health=-
    elif [[ ! -S $sock ]]; then
      health="no socket"
      bad=1
    elif ((have_curl)); then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --unix-socket "$sock" http://x/v1/health || true)
      if [[ $code == 200 ]]; then
        health="ok"
      else
        health="not answering (HTTP ${code:-none})"
        bad=1
      fi
    else
      health="unchecked (no curl)"
    fi
    printf '%-8s %-17s %-11s %-14s %-8s %-6s %s\n' "$host" "$ns" "$v4" "$v6" "$pid" "$alive" "$health"
  done <"$labdir/hosts"
  payments_status "$labdir" || bad=1
  printf 'inventory: %s\n' "$labdir/inventory.yaml"
  if ((bad)); then
    echo "lab '$PREFIX' is NOT healthy"
    return 1
  fi
  echo "lab '$PREFIX' is up and healthy"
}
