#!/usr/bin/env bash
# sockit.exe mcast under Wine against the Linux sockit, both inside a network namespace this test
# creates (only lo, up, with the multicast route on it): no datagram can reach a real interface.
#   - Linux `mcast send` -> `sockit.exe mcast recv`: 1000 random bytes, byte-exact (--json's
#     data_base64), and two more counted;
#   - `sockit.exe mcast send` -> Linux `mcast recv`: random bytes from stdin, byte-exact, and
#     --count/--interval with --iface by name;
#   - source-specific: `sockit.exe mcast recv --ssm-source 127.0.0.1` keeps the datagram from
#     127.0.0.1 and not the one sent first from 127.0.0.2;
#   - usage errors exit 2 with one line.
# Wine's sockets are made by its wineserver, in the wineserver's namespace: so the test makes its
# own prefix inside the namespace (about 5 s of wineboot; the run's shared prefix has its server
# outside), and every Wine process of that prefix starts inside the namespace too.
# Usage: test_wine_mcast.sh SOCKIT_EXE LINUX_SOCKIT
set -u
exe=$1 lin=$2
[ -x "$lin" ] || { echo "SKIP: needs the Linux build's sockit at $lin (cmake --build --preset release first)"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: CI cannot have: network namespaces need root (ip netns add)"; exit 0; }

ns=sockit-winmc-$$
work=$(mktemp -d)
prefix=$work/prefix
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  WINEPREFIX=$prefix /usr/lib/wine/wineserver64 -k 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.err; do [ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f"; done; exit 1; }

ip netns add "$ns" || { echo "SKIP: CI cannot have: ip netns add failed"; exit 0; }
ip -n "$ns" link set lo up || fail "cannot bring lo up in $ns"
ip -n "$ns" route add 224.0.0.0/4 dev lo || fail "cannot route 224.0.0.0/4 to lo in $ns"
ip -n "$ns" addr add 127.0.0.2/8 dev lo 2>/dev/null  # a second source for the SSM case (lo has 127/8 anyway)

# A prefix of its own, so a wineserver of its own (Wine keys the server by the prefix), started
# here inside the namespace and kept up for the whole test.
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
mkdir -p "$prefix"
ip netns exec "$ns" /usr/lib/wine/wineserver64 -p 60 || fail "wineserver would not start in $ns"
ip netns exec "$ns" timeout 120 /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || fail "wineboot failed in $ns"

win() { ip netns exec "$ns" timeout 30 /usr/lib/wine/wine64 "$exe" "$@"; }
lin() { ip netns exec "$ns" timeout 30 "$lin" "$@"; }

# Waits for a receiver's "listening on" line (printed once it has joined) in FILE; gives up at
# once if the receiver (PID) has exited.
joined() {
  for _ in $(seq 150); do
    grep -q "^sockit: listening on" "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# Waits up to 10 s for PID and checks its exit code.
finished() {
  local pid=$1 what=$2 want=$3
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "$what: still running after 10 s"
  wait "$pid"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want"
}
# The bytes of the Nth (1-based) --json datagram line in FILE.
payload() { sed -n "$2p" "$1" | sed -n 's/.*"data_base64":"\([^"]*\)".*/\1/p' | base64 -d; }

head -c 1000 /dev/urandom >"$work/bin1"
head -c 1000 /dev/urandom >"$work/bin2"

# --- Linux sends, sockit.exe receives ------------------------------------------------------------
win --json mcast recv 239.1.2.3:5000 --iface 127.0.0.1 --count 3 --timeout 15 >"$work/wrecv.out" 2>"$work/wrecv.err" &
pid=$!
pids+=("$pid")
joined "$work/wrecv.err" "$pid" || fail "sockit.exe mcast recv never joined"
lin mcast send --iface 127.0.0.1 --ttl 0 239.1.2.3:5000 - <"$work/bin1" 2>"$work/lsend.err" || fail "Linux mcast send (stdin)"
lin mcast send --iface lo --ttl 0 --count 2 --interval 0.05 239.1.2.3:5000 tick 2>"$work/lsend.err" || fail "Linux mcast send --count 2"
finished "$pid" "sockit.exe mcast recv --count 3" 0
payload "$work/wrecv.out" 1 | cmp -s - "$work/bin1" || fail "sockit.exe received other bytes than Linux sent: $(head -c 300 "$work/wrecv.out")"
[ "$(grep -c '"size":4,"data":"tick"' "$work/wrecv.out")" -eq 2 ] \
  || fail "sockit.exe: expected two 'tick' datagrams: $(cat "$work/wrecv.out")"
grep -q '"size":1000' "$work/wrecv.out" || fail "sockit.exe: no size 1000 in $(head -c 300 "$work/wrecv.out")"

# --- sockit.exe sends, Linux receives ------------------------------------------------------------
lin --json mcast recv 239.1.2.4:5001 --iface lo --count 3 --timeout 15 >"$work/lrecv.out" 2>"$work/lrecv.err" &
pid=$!
pids+=("$pid")
joined "$work/lrecv.err" "$pid" || fail "Linux mcast recv never joined"
win mcast send --iface 127.0.0.1 --ttl 0 239.1.2.4:5001 - <"$work/bin2" 2>"$work/wsend.err" || fail "sockit.exe mcast send (stdin)"
win mcast send --iface lo --ttl 1 --count 2 --interval 0.05 239.1.2.4:5001 tock 2>"$work/wsend.err" \
  || fail "sockit.exe mcast send --iface lo --count 2"
finished "$pid" "Linux mcast recv --count 3" 0
payload "$work/lrecv.out" 1 | cmp -s - "$work/bin2" || fail "Linux received other bytes than sockit.exe sent: $(head -c 300 "$work/lrecv.out")"
[ "$(grep -c '"size":4,"data":"tock"' "$work/lrecv.out")" -eq 2 ] || fail "Linux: expected two 'tock': $(cat "$work/lrecv.out")"

# --- source-specific: only 127.0.0.1's datagram --------------------------------------------------
win mcast recv 232.1.1.1:5002 --iface 127.0.0.1 --ssm-source 127.0.0.1 --count 1 --timeout 15 \
  >"$work/ssm.out" 2>"$work/ssm.err" &
pid=$!
pids+=("$pid")
joined "$work/ssm.err" "$pid" || fail "sockit.exe mcast recv --ssm-source never joined"
lin mcast send --iface 127.0.0.1 --source-addr 127.0.0.2 --ttl 0 232.1.1.1:5002 other 2>"$work/lsend.err" || fail "send from 127.0.0.2"
lin mcast send --iface 127.0.0.1 --source-addr 127.0.0.1 --ttl 0 232.1.1.1:5002 wanted 2>"$work/lsend.err" || fail "send from 127.0.0.1"
finished "$pid" "sockit.exe mcast recv --ssm-source" 0
grep -Eq '^127\.0\.0\.1:[0-9]+ \(6 bytes\): wanted$' "$work/ssm.out" || fail "SSM: expected only 'wanted' from 127.0.0.1: $(cat "$work/ssm.out")"

# --- usage errors: one line, exit 2 --------------------------------------------------------------
expect_usage() {
  local what=$1; shift
  win "$@" >"$work/u.out" 2>"$work/u.err"
  local rc=$?
  [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$work/u.err"))"
  [ "$(wc -l <"$work/u.err")" -eq 1 ] || fail "$what: expected one line: $(cat "$work/u.err")"
}
expect_usage "not a group" mcast recv 10.1.2.3:5000
grep -q "is not a multicast group" "$work/u.err" || fail "not a group: $(cat "$work/u.err")"
expect_usage "link-local without --iface" mcast send '[ff02::1]:5000' x
grep -q "is link-local" "$work/u.err" || fail "link-local: $(cat "$work/u.err")"
expect_usage "port 0" mcast recv 239.1.2.3:0
# Wine has no IPv6 source-specific join (neither MCAST_JOIN_SOURCE_GROUP nor an older option):
# said in one line, exit 2, never a receiver that silently hears nothing.
if ip -n "$ns" -6 addr show dev lo | grep -q '::1/128'; then
  expect_usage "IPv6 SSM under Wine" mcast recv '[ff3e::1234]:5003' --iface lo --ssm-source ::1 --timeout 5
  grep -q "join ff3e::1234 from ::1 on lo" "$work/u.err" || fail "IPv6 SSM: $(cat "$work/u.err")"
fi
echo "ok: sockit.exe mcast under Wine in $ns: recv from Linux and send to Linux byte-exact, SSM, usage errors"
