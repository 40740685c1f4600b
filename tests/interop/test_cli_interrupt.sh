#!/usr/bin/env bash
# Ctrl+C, one rule for every command: the first SIGINT/SIGTERM finishes as at end of input (totals
# where the command has any, the normal exit status); a second one exits 130 at once. Here for
# connect and listen, the relays that used to die of the first signal.
. "$SOCKIT_TEST_LIB"
need python3

# A one-connection TCP peer on 127.0.0.1:PORT in the background ($BG_PID): sends "hello" (or,
# with flood, 8 MiB), then reads until our EOF into OUT.
cat >"$TMP/tcp_peer.py" <<'PY'
import socket, sys
from tcp_peer_lib import accept_one
port, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c, l = accept_one(port, 20)
try:
    c.sendall(b"x" * (8 << 20) if mode == "flood" else b"hello\n")
    got = b""
    while True:
        b = c.recv(65536)
        if not b: break
        got += b
    open(out, "wb").write(got + b"<EOF>")
except (socket.timeout, OSError):
    open(out, "wb").write(b"<no EOF>")
PY
tcp_peer() { bg python3 "$TMP/tcp_peer.py" "$@"; }

# stop_within PID SECS: waits until PID exits (at most SECS), sets RC (124: still running, killed).
stop_within() {
  for _ in $(seq $(( $2 * 10 ))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then kill -9 "$1"; wait "$1" 2>/dev/null; RC=124; return; fi
  wait "$1"; RC=$?
}

# Stdin that stays open with nothing to read: a FIFO we hold open. (bg's own stdin would be
# /dev/null: a shell gives background commands that, so the FIFO is opened inside.)
mkfifo "$TMP/in"; exec 3<>"$TMP/in"
bg_in() { "$@" <"$TMP/in" & BG_PID=$!; _PIDS+=("$BG_PID"); }

# connect, first SIGINT (and SIGTERM): it ends as at EOF, exit 0, the peer sees our EOF.
for sig in INT TERM; do
  P=$(free_port tcp)
  tcp_peer "$P" hello "$TMP/peer-in"
  PEER=$BG_PID
  wait_listen "$P" tcp
  bg_in "$SOCKIT" connect 127.0.0.1 "$P" >"$TMP/out" 2>"$TMP/err"
  C=$BG_PID
  wait_nonempty "$TMP/out"
  kill -0 "$C" 2>/dev/null || fail "connect ended before SIG$sig (its stdin is still open)"
  kill -"$sig" "$C"
  stop_within "$C" 10
  expect_rc 0 "connect after one SIG$sig"
  expect_eq "$(cat "$TMP/out")" "hello" "connect's output before SIG$sig"
  [ -s "$TMP/err" ] && fail "connect wrote to stderr on SIG$sig: $(head -c 300 "$TMP/err")"
  wait "$PEER" 2>/dev/null
  expect_eq "$(cat "$TMP/peer-in")" "<EOF>" "what the peer saw after connect's SIG$sig"
done

# A write to stdout that blocks (a pipe nobody reads, full) gives way: to the first signal (exit 0
# at once, as at EOF), and to -w once nothing has moved for SECS (exit 0, as an idle session).
stuck_connect() {  # stuck_connect ARGS...: connect to a flooding peer, its stdout a full FIFO; PID in $C
  P=$(free_port tcp)
  tcp_peer "$P" flood "$TMP/peer-in"
  wait_listen "$P" tcp
  rm -f "$TMP/stuck"; mkfifo "$TMP/stuck"; exec 4<>"$TMP/stuck"
  bg_in "$SOCKIT" -v connect "$@" 127.0.0.1 "$P" >"$TMP/stuck" 2>"$TMP/err"
  C=$BG_PID
  # Wait until the FIFO is full (64 KiB unread), so connect is stuck in its write to stdout.
  wait_fifo_full "$TMP/stuck" || fail "connect's stdout never filled up"
}
stuck_connect
sleep 0.2
kill -INT "$C"
stop_within "$C" 10
expect_rc 0 "connect blocked on a full stdout, after one SIGINT"
expect_contains "$TMP/err" "interrupted: closing the connection" "connect blocked on a full stdout, after one SIGINT"
exec 4>&-
stuck_connect -w 1
stop_within "$C" 10
expect_rc 0 "connect -w 1 blocked on a full stdout"
expect_contains "$TMP/err" "idle for 1 s (stdout took nothing)" "connect -w 1 blocked on a full stdout"
exec 4>&-

# listen: waiting for a peer, the first signal ends it (exit 0); with a peer, it ends the session
# (the peer sees EOF) and, with -k, the whole command.
P=$(free_port tcp)
bg_in "$SOCKIT" listen "$P" >"$TMP/out" 2>"$TMP/err"
L=$BG_PID
wait_listen "$P" tcp
kill -INT "$L"
stop_within "$L" 10
expect_rc 0 "listen with no peer after SIGINT"
for k in "" -k; do
  P=$(free_port tcp)
  bg_in "$SOCKIT" listen $k "$P" >"$TMP/out" 2>"$TMP/err"
  L=$BG_PID
  wait_listen "$P" tcp
  bg python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); c.settimeout(10)
c.sendall(b"hi\n"); got = b""
try:
    while True:
        b = c.recv(65536)
        if not b: break
        got += b
    open(sys.argv[2], "wb").write(got + b"<EOF>")
except OSError:
    open(sys.argv[2], "wb").write(b"<no EOF>")
' "$P" "$TMP/client-in"
  CL=$BG_PID
  wait_nonempty "$TMP/out"
  kill -0 "$L" 2>/dev/null || fail "listen $k ended before SIGTERM (its stdin is still open)"
  kill -TERM "$L"
  stop_within "$L" 10
  expect_rc 0 "listen $k with a peer after SIGTERM"
  expect_eq "$(cat "$TMP/out")" "hi" "listen $k output before SIGTERM"
  wait "$CL" 2>/dev/null
  expect_eq "$(cat "$TMP/client-in")" "<EOF>" "what listen $k's peer saw"
done
finish
