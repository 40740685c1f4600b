#!/usr/bin/env bash
# sockit.exe ping under Wine (IcmpSendEcho2; Wine sends the echoes from the host's sockets), only
# to 127.0.0.0/8 and ::1:
#   - `ping -c 3 -i 0.2 127.0.0.1`: three replies (seq 1..3, ttl, time), the summary with 0% loss
#     and the rtt line, exit 0; iputils' `ping -c 3 -i 0.2 127.0.0.1` counts the same replies;
#   - --json (with -t): start (socket IcmpSendEcho2), one reply event per request, the summary's
#     counts;
#   - Ctrl+C (kill -INT) in an endless ping: the summary, exit 0;
#   - ::1 replies, or, where Icmp6SendEcho2 is missing (Wine 8.0), one line naming it, exit 2;
#   - --socket raw (no socket kind to choose on Windows), -i below 0.2 s, -s above Windows' 65500,
#     a malformed host: one line, exit 2.
# Usage: test_wine_ping.sh SOCKIT_EXE
set -u
exe=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "SKIP: needs python3 (scripts/deps.sh test)"; exit 0; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
win() { timeout 30 "$here/wine.sh" "$exe" "$@"; }

# --- three echoes to 127.0.0.1 ------------------------------------------------------------------
win ping -c 3 -i 0.2 127.0.0.1 >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 0 ] || fail "ping -c 3 127.0.0.1: exit $rc: $(cat "$work/out" "$work/err")"
grep -q '^PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data\.' "$work/out" || fail "no PING header: $(cat "$work/out")"
for s in 1 2 3; do
  grep -Eq "^64 bytes from 127\.0\.0\.1: icmp_seq=$s ttl=[0-9]+ time=[0-9.]+ ms$" "$work/out" ||
    fail "no reply line for icmp_seq=$s: $(cat "$work/out")"
done
[ "$(grep -c ' bytes from ' "$work/out")" -eq 3 ] || fail "not 3 reply lines: $(cat "$work/out")"
grep -q '^3 packets transmitted, 3 received, 0% packet loss, time [0-9]*ms$' "$work/out" ||
  fail "no summary with 0% loss: $(cat "$work/out")"
grep -Eq '^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' "$work/out" || fail "no rtt line: $(cat "$work/out")"
[ -s "$work/err" ] && fail "stderr not empty: $(cat "$work/err")"
if command -v ping >/dev/null; then
  n=$(timeout 10 ping -n -c 3 -i 0.2 127.0.0.1 | grep -c ' bytes from ')
  [ "$n" -eq 3 ] || fail "iputils ping counted $n replies, sockit.exe 3"
  echo "ok: ping -c 3 127.0.0.1: 3 replies, summary, exit 0 (iputils: $n replies)"
else
  echo "ok: ping -c 3 127.0.0.1: 3 replies, summary, exit 0 (no iputils ping here to compare)"
fi

# --- --json, another loopback address, a TTL -----------------------------------------------------
win --json ping -c 2 -i 0.2 -t 9 127.0.0.2 >"$work/json" 2>"$work/err"
rc=$?
[ "$rc" -eq 0 ] || fail "--json ping: exit $rc: $(cat "$work/json" "$work/err")"
python3 - "$work/json" <<'EOF' || fail "--json ping: $(cat "$work/json")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
start, replies, summary = events[0], [e for e in events if e["event"] == "reply"], events[-1]
assert start["event"] == "start" and start["mode"] == "icmp" and start["socket"] == "IcmpSendEcho2", start
assert start["address"] == "127.0.0.2" and start["data_bytes"] == 56, start
assert [r["seq"] for r in replies] == [1, 2], replies
assert all(r["bytes"] == 64 and r["time_ms"] >= 0 and not r["dup"] for r in replies), replies
assert summary["event"] == "summary" and summary["transmitted"] == 2 and summary["received"] == 2, summary
assert summary["loss_percent"] == 0 and summary["errors"] == 0 and summary["rtt_min_ms"] is not None, summary
EOF
echo "ok: --json ping -c 2 127.0.0.2: start, 2 replies, summary 2/2"

# --- Ctrl+C in an endless ping ---------------------------------------------------------------------
: >"$work/int"
"$here/wine.sh" "$exe" ping -i 0.2 127.0.0.1 >"$work/int" 2>&1 &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do [ "$(grep -c ' bytes from ' "$work/int")" -ge 2 ] && break; sleep 0.1; done
kill -INT "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "ping still running 5 s after Ctrl+C"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || fail "ping after Ctrl+C: exit $rc: $(cat "$work/int")"
grep -Eq '^[0-9]+ packets transmitted, [0-9]+ received' "$work/int" || fail "no summary after Ctrl+C: $(cat "$work/int")"
echo "ok: Ctrl+C stops an endless ping with its summary, exit 0"

# --- IPv6 --------------------------------------------------------------------------------------------
win ping -c 1 ::1 >"$work/v6" 2>&1
rc=$?
if grep -q 'Icmp6SendEcho2 is not available' "$work/v6"; then
  [ "$rc" -eq 2 ] || fail "ping ::1 without Icmp6SendEcho2: exit $rc"
  [ "$(wc -l <"$work/v6")" -eq 1 ] || fail "ping ::1 without Icmp6SendEcho2: not one line: $(cat "$work/v6")"
  echo "ok: ping ::1 answers '$(cat "$work/v6")', exit 2"
else
  [ "$rc" -eq 0 ] || fail "ping ::1: exit $rc: $(cat "$work/v6")"
  grep -Eq '^64 bytes from ::1: icmp_seq=1 ' "$work/v6" || fail "ping ::1: no reply line: $(cat "$work/v6")"
  echo "ok: ping ::1: a reply, exit 0"
fi

# --- what Windows refuses, bad input ----------------------------------------------------------------
expect_usage() {
  local what=$1 pattern=$2
  shift 2
  win "$@" >"$work/u.out" 2>"$work/u.err"
  local rc=$?
  [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2: $(cat "$work/u.out" "$work/u.err")"
  [ "$(wc -l <"$work/u.err")" -eq 1 ] || fail "$what: not one line on stderr: $(cat "$work/u.err")"
  grep -q -- "$pattern" "$work/u.err" || fail "$what: said: $(cat "$work/u.err")"
  [ -s "$work/u.out" ] && fail "$what: stdout not empty: $(cat "$work/u.out")"
  return 0
}
expect_usage "--socket raw" "ping: --socket raw: not available on Windows (it pings through IcmpSendEcho2)" \
  ping --socket raw -c 1 127.0.0.1
expect_usage "-i 0.05" "bad -i '0.05'" ping -i 0.05 -c 1 127.0.0.1
expect_usage "-s 65501" "bad -s '65501': at most 65500 data bytes for 127.0.0.1" ping -s 65501 -c 1 127.0.0.1
expect_usage "malformed host" "bad host '127.0.0.300'" ping -c 1 127.0.0.300
echo "ok: --socket raw, -i 0.05, -s 65501 and a malformed host answer one line, exit 2"
