#!/usr/bin/env bash
# Standard descriptors that are closed, full or lead nowhere: no command crashes, hangs or talks
# to itself, and a stdout that cannot be written follows one rule (EPIPE: quiet stop, normal
# status; anything else: one line on stderr, exit 1).
. "$SOCKIT_TEST_LIB"
need python3

# with_dead_pipe FD CMD...: runs CMD (20 s cap) with FD (1 or 2) on a pipe whose reader is already
# closed; exits with CMD's status (a signal N shows as 128+N, like the shell).
with_dead_pipe() {
  python3 - "$@" <<'PY'
import os, subprocess, sys
fd, cmd = int(sys.argv[1]), sys.argv[2:]
r, w = os.pipe()
os.close(r)
kw = {"stdout": w} if fd == 1 else {"stderr": w}
try:
    rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, timeout=20, **kw).returncode
except subprocess.TimeoutExpired:
    rc = 124
sys.exit(128 - rc if rc < 0 else rc)
PY
}

# 1. An error line that cannot be written never aborts (fmt::print used to throw): stderr closed,
# full, or a pipe nobody reads. 1.2.3.4 is not a local address, so serve's bind fails at once.
check_stderr() {  # EXPECTED_RC ARGS...
  local want=$1; shift
  timeout 20 "$SOCKIT" "$@" </dev/null >/dev/null 2>&-; RC=$?; expect_rc "$want" "$* with stderr closed"
  timeout 20 "$SOCKIT" "$@" </dev/null >/dev/null 2>/dev/full; RC=$?; expect_rc "$want" "$* with stderr full"
  with_dead_pipe 2 "$SOCKIT" "$@" >/dev/null; RC=$?; expect_rc "$want" "$* with stderr a pipe nobody reads"
}
check_stderr 1 connect 127.0.0.1 1
check_stderr 2 listen 70000
check_stderr 1 bench 127.0.0.1:1 -t 0.2 --warmup 0
check_stderr 1 proto call :1 ping
check_stderr 1 serve --bind 1.2.3.4
check_stderr 2 udp frobnicate
check_stderr 2 nosuchcommand

# A one-connection TCP peer on 127.0.0.1:PORT, in the background ($BG_PID).
#   tcp_peer PORT reply-at-eof OUT: reads until our EOF (into OUT), then sends "bye" and closes.
#   tcp_peer PORT hello-first OUT:  sends "hello", then reads until our EOF (into OUT) and closes.
cat >"$TMP/tcp_peer.py" <<'PY'
import socket, sys
from tcp_peer_lib import accept_one
port, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c, l = accept_one(port, 10)
if mode == "hello-first":
    c.sendall(b"hello\n")
got = b""
try:
    while True:
        b = c.recv(65536)
        if not b: break
        got += b
        if len(got) > 1 << 20: break  # a ping-pong: enough to say so
except socket.timeout:
    pass
open(out, "wb").write(got)
if mode == "reply-at-eof":
    c.sendall(b"bye\n")
c.close()
PY
tcp_peer() { bg python3 "$TMP/tcp_peer.py" "$@"; }

# 3. Closed standard descriptors are opened on /dev/null before any socket, so a socket never
# becomes fd 0, 1 or 2: closed stdin is EOF, closed stdout discards.
P=$(free_port tcp)
tcp_peer "$P" reply-at-eof "$TMP/peer-in"
PEER=$BG_PID
wait_listen "$P" tcp
timeout 5 "$SOCKIT" connect 127.0.0.1 "$P" <&- >"$TMP/out" 2>"$TMP/err"; RC=$?
expect_rc 0 "connect with stdin closed (124: it hung)"
expect_eq "$(cat "$TMP/out")" "bye" "connect with stdin closed: the peer's reply"
wait "$PEER" 2>/dev/null
expect_eq "$(wc -c <"$TMP/peer-in")" "0" "bytes the peer got from connect with stdin closed"

P=$(free_port tcp)
tcp_peer "$P" hello-first "$TMP/peer-in"
PEER=$BG_PID
wait_listen "$P" tcp
sleep 1 | timeout 10 "$SOCKIT" connect 127.0.0.1 "$P" >&- 2>"$TMP/err"; RC=$?
expect_rc 0 "connect with stdout closed"
wait "$PEER" 2>/dev/null
expect_eq "$(head -c 100 "$TMP/peer-in")" "" "what connect with stdout closed sent back to the peer"

P=$(free_port udp)
bg timeout 10 "$SOCKIT" udp recv --count 1 "$P" >&- 2>"$TMP/err"
RECV=$BG_PID
wait_listen "$P" udp
python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", int(sys.argv[1])))' "$P"
wait "$RECV"; RC=$?
expect_rc 0 "udp recv --count 1 with stdout closed"

# 12. A stdout that cannot be written, one rule for every command: EPIPE (the reader left) stops
# the command quietly with its normal status; any other error (here ENOSPC) is one line on
# stderr and exit 1.
only_line() {  # FILE WHAT: FILE holds exactly one "write stdout" error line (besides notices)
  local n; n=$(grep -vc "listening on" "$1")
  [ "$n" -eq 1 ] || fail "$2: expected one error line, got $n: $(head -c 300 "$1")"
  expect_contains "$1" "^sockit: write stdout: No space left on device (ENOSPC)$" "$2"
}
quiet() {  # FILE WHAT: nothing on stderr but notices
  grep -v "listening on" "$1" | grep -q . && fail "$2: stderr not quiet: $(head -c 300 "$1")"
}
PP=$(free_port tcp)
bg "$SOCKIT" proto serve --port "$PP" >/dev/null 2>"$TMP/proto.err"
wait_listen "$PP" tcp
timeout 10 "$SOCKIT" proto call ":$PP" ping >/dev/full 2>"$TMP/err"; RC=$?
expect_rc 1 "proto call ping >/dev/full"
only_line "$TMP/err" "proto call ping >/dev/full"
start=$SECONDS
with_dead_pipe 1 "$SOCKIT" proto call --count 30 --interval 0.5 ":$PP" ping 2>"$TMP/err"; RC=$?
expect_rc 0 "proto call --count 30 into a dead pipe"
[ $((SECONDS - start)) -le 10 ] || fail "proto call --count 30 into a dead pipe did not stop at the first answer"
quiet "$TMP/err" "proto call into a dead pipe"

timeout 10 "$SOCKIT" probe 127.0.0.1 "$PP" >/dev/full 2>"$TMP/err"; RC=$?
expect_rc 1 "probe >/dev/full"
only_line "$TMP/err" "probe >/dev/full"
with_dead_pipe 1 "$SOCKIT" probe 127.0.0.1 "$PP" 2>"$TMP/err"; RC=$?
expect_rc 0 "probe of an open port into a dead pipe"
quiet "$TMP/err" "probe into a dead pipe"

send_udp() { python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x\n", ("127.0.0.1", int(sys.argv[1])))' "$1"; }
# one_datagram PID PORT: once the udp recv PID listens on PORT, sends it one datagram; waits for
# PID to exit and sets RC.
one_datagram() {
  wait_listen "$2" udp
  send_udp "$2"
  wait "$1"; RC=$?
}
P=$(free_port udp)
bg with_dead_pipe 1 "$SOCKIT" udp recv "$P" 2>"$TMP/err"
one_datagram "$BG_PID" "$P"
expect_rc 0 "udp recv into a dead pipe"
quiet "$TMP/err" "udp recv into a dead pipe"
P=$(free_port udp)
bg timeout 10 "$SOCKIT" udp recv "$P" >/dev/full 2>"$TMP/err"
one_datagram "$BG_PID" "$P"
expect_rc 1 "udp recv >/dev/full"
only_line "$TMP/err" "udp recv >/dev/full"

P=$(free_port tcp)
tcp_peer "$P" hello-first "$TMP/peer-in"
wait_listen "$P" tcp
sleep 1 | timeout 10 "$SOCKIT" connect 127.0.0.1 "$P" >/dev/full 2>"$TMP/err"; RC=$?
expect_rc 1 "connect >/dev/full"
only_line "$TMP/err" "connect >/dev/full"

# Reports printed once at the end (serve's table and totals, bench) follow the same rule.
E=$(free_port tcp)
bg "$SOCKIT" serve --services echo --echo-port "$E" >/dev/full 2>"$TMP/err"
SERVE=$BG_PID
wait_listen "$E" tcp
timeout 10 "$SOCKIT" bench "127.0.0.1:$E" -t 0.2 --warmup 0 >/dev/full 2>"$TMP/bench.err"; RC=$?
expect_rc 1 "bench >/dev/full"
only_line "$TMP/bench.err" "bench >/dev/full"
kill -INT "$SERVE"; wait "$SERVE"; RC=$?
expect_rc 1 "serve >/dev/full after SIGINT"
only_line "$TMP/err" "serve >/dev/full"

finish
