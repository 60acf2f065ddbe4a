#!/usr/bin/env bash
# `cmake --install` into a temporary prefix: the binaries, the hardened unit
# (its ExecStart naming the installed daemon, its hardening directives, and
# `systemd-analyze verify` where that works here), the example configuration
# (accepted by the installed daemon) and the deployment guide.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d /tmp/injector-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null

unit=$prefix/lib/systemd/system/injectord.service
example=$prefix/share/doc/injector/examples/injectord.toml
for f in "$prefix/sbin/injectord" "$prefix/bin/injector" "$unit" "$example" "$prefix/share/doc/injector/deploy.md"; do
  [ -f "$f" ] || fail "not installed: $f"
done
[ -x "$prefix/sbin/injectord" ] && [ -x "$prefix/bin/injector" ] || fail "binaries not executable"

"$prefix/sbin/injectord" --help | grep -q -- '--config' || fail "installed injectord --help does not run or lacks --config"
"$prefix/bin/injector" --version | grep -q injector || fail "installed injector --version does not run"

# ExecStart names the installed daemon, under the prefix given at install time.
grep -qx "ExecStart=$prefix/sbin/injectord --config /etc/injectord/injectord.toml" "$unit" ||
  fail "ExecStart: $(grep ExecStart "$unit")"
exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[ -x "$exec_path" ] || fail "ExecStart path does not exist: $exec_path"

for directive in \
  'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_ADMIN CAP_CHOWN CAP_SETPCAP' \
  'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
  'RuntimeDirectory=injector' 'StateDirectory=injectord' 'ProtectControlGroups=yes' \
  'ProtectKernelModules=yes' 'ProtectKernelTunables=yes' 'RestrictNamespaces=net' \
  'RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6' 'LockPersonality=yes' \
  'MemoryDenyWriteExecute=yes' 'RestrictRealtime=yes' 'SystemCallArchitectures=native' \
  'SystemCallFilter=@system-service' 'UMask=0077' 'Restart=on-failure'; do
  grep -qx "$directive" "$unit" || fail "unit lacks $directive"
done
grep -n '@[A-Z_]*@' "$unit" && fail "unsubstituted placeholder in the unit"

if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
  # verify also reports problems it does not fail on; none may name our unit.
  if echo "$out" | grep -i 'injectord.service' | grep -vi 'Failed to .*cgroup\|not booted'; then
    fail "systemd-analyze verify complains: $out"
  fi
fi

# The example configuration: every key is accepted by the installed daemon.
printed=$("$prefix/sbin/injectord" --config "$example" --print-config) || fail "example config refused"
echo "$printed" | grep -qx 'audit-log="/var/log/injectord/audit.log"' || fail "example not applied: $printed"
echo "$printed" | grep -qx 'socket="/run/injector/injectord.sock"' || fail "example not applied: $printed"
# ... and an unknown key stops it, naming the key.
bad=$prefix/bad.toml
{ cat "$example"; echo 'max-lifetim = "1h"'; } >"$bad"
if err=$("$prefix/sbin/injectord" --config "$bad" --print-config 2>&1); then fail "unknown key accepted"; fi
echo "$err" | grep -q "unknown key 'max-lifetim'" || fail "error does not name the key: $err"
echo "packaging install test: ok ($prefix)"
