#!/usr/bin/env bash
# 1,000 relayed connections open at once (6,000 of the relay's descriptors: two sockets and two
# pipes each), each echoed through sockit echo, on the engines that can watch that many; and the
# statistics count them all. --max-conns refuses the excess.
. "$SOCKIT_TEST_LIB"
need python3
PROBE="$(dirname "$SOCKIT_TEST_LIB")/relay_probe.py"
N=1000
# The test's own process holds 1,000 sockets, the echo server 1,000, the relay 6,000.
ulimit -n 16384 2>/dev/null || true
[ "$(ulimit -n)" -ge 8192 ] || skip "needs a descriptor limit of 8192 for 1,000 connections (ulimit -Hn is $(ulimit -Hn))"

bg "$SOCKIT" echo --tcp --port 0 >/dev/null 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" tcp echo
for eng in $(engines 7000); do
  bg "$SOCKIT" relay 0 "127.0.0.1:$E" --engine "$eng" >"$TMP/out.$eng" 2>"$TMP/err.$eng"
  RELAY=$BG_PID
  listening_port R "$TMP/err.$eng" tcp
  res=$(timeout 60 python3 "$PROBE" tcp-many "$R" "$N" 2000) || fail "$eng: $N connections: $res"
  echo "$eng: $res"
  ok=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["echoed"])' "$res" 2>/dev/null)
  expect_eq "$ok" "$N" "$eng: connections echoed"
  stop_server "$RELAY"
  expect_rc 0 "$eng: relay after SIGTERM"
  expect_match "$TMP/out.$eng" "^totals: $N connections \(0 open\), 0 refused, 0 target failures, 0 resets, $((N * 2000)) bytes up, $((N * 2000)) bytes down\$" "$eng: totals"
done
# --max-conns: the excess is closed at once, one warning line, counted.
bg "$SOCKIT" relay 0 "127.0.0.1:$E" --max-conns 3 >"$TMP/out.max" 2>"$TMP/err.max"
RELAY=$BG_PID
listening_port R "$TMP/err.max" tcp
timeout 20 python3 - "$R" <<'PY' || fail "--max-conns: $(cat "$TMP/err.max")"
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
for s in held:
    s.sendall(b"x"); assert s.recv(1) == b"x"
extra = socket.create_connection(("127.0.0.1", port), timeout=5)
try:
    extra.sendall(b"y")
    got = extra.recv(1)
    assert got == b"", got
except (ConnectionResetError, BrokenPipeError):
    pass
PY
stop_server "$RELAY"
expect_match "$TMP/out.max" '^totals: 4 connections \(0 open\), 1 refused' "--max-conns: totals"
expect_contains "$TMP/err.max" "3 connections already open (--max-conns)" "--max-conns: the warning"
finish
