#!/usr/bin/env bash
# sockit.exe relay under Wine between Linux peers over 127.0.0.1 (Wine's Winsock is the host's
# sockets), the TCP bytes copied with overlapped WSARecv/WSASend (apps/sockit/relay_flow_windows.cpp):
#   - TCP to the Linux `sockit echo`: 20 MB of random bytes from nc through the relay and back,
#     byte-exact both ways; 8 connections at once; a client that never reads is stopped (the
#     relay stops reading the echo's replies, the echo stops reading, and the relay stops reading
#     the client: bounded memory); Ctrl+C (kill -INT) prints the totals, exit 0, with the 20 MB
#     counted each way on its connection (--json);
#   - --delay 0.1 (the timed path, on readiness): replies come back 0.2 s later or more;
#   - UDP: numbered datagrams through `relay --udp` to the Linux echo and back, Ctrl+C totals;
#   - bad input and what Windows lacks: one line, exit 2.
# Wine 8.0 gap: after shutdown(SD_SEND) Wine's recv says end-of-stream whenever nothing is queued,
# so the client here keeps its side open until the echo is all back (as test_wine_transfer.sh).
# Usage: test_wine_relay.sh SOCKIT_EXE LINUX_SOCKIT
set -u
exe=$1 lin=$2
[ -x "$lin" ] || { echo "SKIP: needs the Linux build's sockit at $lin (cmake --build --preset release first)"; exit 0; }
command -v nc >/dev/null || { echo "SKIP: needs nc (netcat-openbsd; scripts/deps.sh test)"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: needs jq (scripts/deps.sh test)"; exit 0; }
here=$(cd "$(dirname "$0")" && pwd)
probe=$here/../interop/relay_probe.py
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.err; do [ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f"; done; exit 1; }
win() { timeout 60 "$here/wine.sh" "$exe" "$@"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# The port a server announced on stderr ("sockit: listening on 127.0.0.1:PORT (tcp) ...").
port_of() {
  local file=$1 proto=${2:-tcp} p=
  for _ in $(seq 150); do
    p=$(sed -n "s/^sockit: listening on 127\.0\.0\.1:\([0-9]*\) ($proto).*/\1/p" "$file" | head -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}

# Ctrl+C (a CTRL_C_EVENT under Wine): exit 0 within 10 s.
stop_relay() {
  local pid=$1 name=$2
  kill -INT "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "$name: still running 10 s after Ctrl+C"
  wait "$pid"
  local rc=$?
  [ "$rc" -eq 0 ] || fail "$name: exit $rc after Ctrl+C"
}

# Runs sockit.exe with ARGS, expecting exit 2 and one stderr line matching PATTERN.
refused() {
  local pattern=$1
  shift
  win "$@" >/dev/null 2>"$work/refused.err"
  local rc=$?
  [ "$rc" -eq 2 ] || fail "sockit.exe $*: exit $rc, not 2"
  [ "$(wc -l <"$work/refused.err")" -eq 1 ] || fail "sockit.exe $*: not one line: $(cat "$work/refused.err")"
  grep -Eq -e "$pattern" "$work/refused.err" || fail "sockit.exe $*: $(cat "$work/refused.err")"
  : >"$work/refused.err"
}

size=$((20 * 1000 * 1000))
head -c "$size" /dev/urandom >"$work/in"
hold_until_full() { while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$size" ]; do sleep 0.05; done; }

"$lin" echo --port 0 --udp-rate 0 >/dev/null 2>"$work/echo.err" &
pids+=($!)
eport=$(port_of "$work/echo.err") || fail "Linux echo never said where it listens"
euport=$(port_of "$work/echo.err" udp) || fail "Linux echo never said where UDP listens"

# --- TCP ----------------------------------------------------------------------------------------
"$here/wine.sh" "$exe" --json relay 0 "127.0.0.1:$eport" >"$work/tcp.out" 2>"$work/tcp.err" &
rpid=$!
pids+=("$rpid")
rport=$(port_of "$work/tcp.err") || fail "relay never said where it listens"
: >"$work/back"
start=$(now)
{ cat "$work/in"; hold_until_full "$work/back"; } | timeout 60 nc -N 127.0.0.1 "$rport" >"$work/back" ||
  fail "nc through the relay failed"
secs=$(since "$start")
cmp -s "$work/in" "$work/back" || fail "20 MB came back different ($(stat -c %s "$work/back") bytes)"
echo "ok: 20 MB through sockit.exe relay to the Linux echo and back, byte-exact ($secs s)"

res=$(timeout 30 python3 "$probe" tcp-many "$rport" 8 200000) || fail "8 connections at once: $res"
[ "$(jq .echoed <<<"$res")" -eq 8 ] || fail "8 connections at once: $res"
echo "ok: 8 connections at once, 200 kB echoed on each"

# A client that never reads: its sends must stop (everything between is full), not go on into
# the relay's memory. It pushes for at most 4 s and passes once nothing has moved for 0.5 s.
timeout 20 python3 - "$rport" >"$work/stall" <<'PY' || fail "a client that never reads: $(cat "$work/stall")"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.setblocking(False)
chunk, sent = b"x" * 65536, 0
last = start = time.monotonic()
while time.monotonic() - start < 4:
    try:
        sent += s.send(chunk)
        last = time.monotonic()
    except BlockingIOError:
        if time.monotonic() - last > 0.5:
            break
        time.sleep(0.01)
print(sent)
assert time.monotonic() - last > 0.5, f"still sending after 4 s ({sent} bytes)"
assert sent < 64 << 20, f"{sent} bytes taken"
s.close()
PY
echo "ok: a client that never reads stalls after $(cat "$work/stall") bytes"

stop_relay "$rpid" "TCP relay"
jq -e -s --argjson n "$size" '[.[] | select(.event == "stats")][-1] | .final and .totals.connections == 10
     and .totals.resets <= 1 and .connections[0].path == "copy"
     and .connections[0].bytes_up == $n and .connections[0].bytes_down == $n' "$work/tcp.out" >/dev/null ||
  fail "TCP relay totals: $(tail -1 "$work/tcp.out")"
echo "ok: Ctrl+C: TCP totals, exit 0"

# --- impairments: the timed path ------------------------------------------------------------------
"$here/wine.sh" "$exe" relay 0 "127.0.0.1:$eport" --delay 0.1 >"$work/delay.out" 2>"$work/delay.err" &
rpid=$!
pids+=("$rpid")
rport=$(port_of "$work/delay.err") || fail "relay --delay never said where it listens"
res=$(timeout 30 python3 "$probe" tcp-rtt "$rport" 3 0.05) || fail "--delay 0.1: $res"
jq -e '.rtt.n == 3 and .rtt.min >= 0.19 and .rtt.max < 2' <<<"$res" >/dev/null || fail "--delay 0.1 round trips: $res"
stop_relay "$rpid" "relay --delay"
grep -Eq "^totals: 1 connections" "$work/delay.out" || fail "relay --delay totals: $(cat "$work/delay.out")"
echo "ok: --delay 0.1: round trips $(jq .rtt.min <<<"$res") s or more"

# --- UDP ----------------------------------------------------------------------------------------
"$here/wine.sh" "$exe" --json relay --udp 0 "127.0.0.1:$euport" >"$work/udp.out" 2>"$work/udp.err" &
rpid=$!
pids+=("$rpid")
rport=$(port_of "$work/udp.err" udp) || fail "UDP relay never said where it listens"
# 50 datagrams 10 ms apart, replies awaited 1.5 s: on a loaded machine a Wine process can stall
# for most of a second (seen with 200 datagrams 2 ms apart and a 0.5 s wait, on every engine).
res=$(timeout 20 python3 "$probe" udp-seq "$rport" 50 0.01 1.5) || fail "UDP: $res"
# A loaded machine may drop a datagram in a socket buffer; none come twice or out of order.
jq -e '.received >= 48 and .duplicates == 0 and .inversions == 0' <<<"$res" >/dev/null || fail "UDP datagrams: $res"
stop_relay "$rpid" "UDP relay"
jq -e -s '[.[] | select(.event == "stats")][-1] | .final and .proto == "udp" and .totals.connections == 1
     and .totals.datagrams_up >= 48 and .totals.datagrams_down >= 48' "$work/udp.out" >/dev/null ||
  fail "UDP relay totals: $(tail -1 "$work/udp.out")"
echo "ok: UDP: $(jq .received <<<"$res") of 50 numbered datagrams back in order, Ctrl+C totals"

# --- bad input, and what Windows lacks ----------------------------------------------------------
refused "bad TARGET" relay 0 "127.0.0.1:0"
refused "--pipe-size: not available on Windows" relay --pipe-size 65536 0 "127.0.0.1:$eport"
refused "Unix sockets are not available on Windows" relay 0 unix:/tmp/sockit-relay.sock
refused "--tls-out: not available on Windows" relay 0 "127.0.0.1:$eport" --tls-out
refused "--threads: not available on Windows" relay --threads 2 0 "127.0.0.1:$eport"
echo "ok: bad TARGET, --pipe-size, unix:, --tls-out and --threads 2: one line each, exit 2"
