#!/usr/bin/env bash
# The signal rule (the first SIGINT/SIGTERM finishes as at end of input, with the normal exit
# status) for the commands that take signals through their own loop, and for the ones a signal
# used to kill outright:
#   - udp recv and proto call --count, their stdout a full pipe nobody reads: one SIGINT ends them
#     (they used to stay blocked in write(2) until SIGKILL);
#   - proto call without --count: SIGINT or SIGTERM ends it with one line naming the unanswered
#     request and exit 1 (it used to die of the signal), and in stdin mode, everything answered,
#     with exit 0, as at the end of input;
#   - recv: SIGHUP (a closed terminal) stops a transfer as SIGTERM does, no partial file left; under
#     nohup it is ignored.
. "$SOCKIT_TEST_LIB"
need python3

# stop_within PID SECS: waits until PID exits (at most SECS), sets RC (124: still running, killed).
stop_within() {
  for _ in $(seq $(( $2 * 10 ))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then kill -9 "$1"; wait "$1" 2>/dev/null; RC=124; return; fi
  wait "$1"; RC=$?
}

# stalled_fifo: a FIFO at $TMP/stuck that we hold open and never read (fd 4).
stalled_fifo() { rm -f "$TMP/stuck"; mkfifo "$TMP/stuck"; exec 4<>"$TMP/stuck"; }
# fifo_stuck: waits up to 10 s until $TMP/stuck holds over 32 KiB and takes nothing more for 0.5 s
# (a pipe's 16 pages fill short of 64 KiB when the lines written do not pack them).
fifo_stuck() {
  python3 - "$TMP/stuck" <<'PY'
import array, fcntl, os, sys, termios, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
def held():
    n = array.array("i", [0]); fcntl.ioctl(fd, termios.FIONREAD, n); return n[0]
last, since = -1, time.monotonic()
for _ in range(200):
    n = held()
    if n != last: last, since = n, time.monotonic()
    elif n > 32 * 1024 and time.monotonic() - since >= 0.5: sys.exit(0)
    time.sleep(0.05)
sys.exit(1)
PY
}

# 1. udp recv: datagrams fill its stdout, then one SIGTERM (SIGINT: a shell starts background jobs
# with it ignored, which would hide a signal that kills instead of stopping), then the same with
# SIGINT at its default disposition.
for sig in TERM INT; do
stalled_fifo
rm -f "$TMP/udp.err"
if [ "$sig" = INT ]; then
  bg python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$SOCKIT" udp recv 0 >"$TMP/stuck" 2>"$TMP/udp.err"
else
  bg "$SOCKIT" udp recv 0 >"$TMP/stuck" 2>"$TMP/udp.err"
fi
U=$BG_PID
listening_port UP "$TMP/udp.err" udp
python3 - "$UP" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(200):  # 200 x 1 KiB: three times the pipe
    s.sendto(b"x" * 1024, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.001)
PY
fifo_stuck || fail "udp recv's stdout never filled up"
kill -"$sig" "$U"
stop_within "$U" 10
expect_rc 0 "udp recv blocked on a full stdout, after one SIG$sig"
exec 4>&-
done

# 2. proto call --count against proto serve, its stdout full, then one SIGINT: the statistics
# cannot be written either, and it still ends.
bg "$SOCKIT" proto serve --port 0 >/dev/null 2>"$TMP/server.err"
listening_port P "$TMP/server.err" tcp proto
stalled_fifo
bg "$SOCKIT" proto call -c 1000000 -i 0 "127.0.0.1:$P" ping >"$TMP/stuck" 2>"$TMP/call.err"; C=$BG_PID
fifo_stuck || fail "proto call's stdout never filled up: $(cat "$TMP/call.err")"
kill -INT "$C"
stop_within "$C" 10
expect_rc 0 "proto call -c blocked on a full stdout, after one SIGINT (answers came: 0, as ping)"
exec 4>&-

# 2b. proto call reading 20000 requests from a file, stdout full: one SIGTERM ends it (each line
# left to print gives way at once, not 0.2 s each).
yes ping | head -n 20000 >"$TMP/pings"
stalled_fifo
"$SOCKIT" proto call "127.0.0.1:$P" <"$TMP/pings" >"$TMP/stuck" 2>"$TMP/call.err" & C=$!; _PIDS+=("$C")
fifo_stuck || fail "proto call's stdout never filled up (stdin mode): $(cat "$TMP/call.err")"
kill -TERM "$C"
stop_within "$C" 10
[ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] || fail "proto call (stdin mode) blocked on a full stdout, after SIGTERM: exit $RC"
exec 4>&-

# 3. proto call with one request to a server that accepts and never answers.
bg python3 "$(dirname "$SOCKIT_TEST_LIB")/mute_server.py" >"$TMP/mute.port"
wait_nonempty "$TMP/mute.port"
MP=$(cat "$TMP/mute.port")
for sig in INT TERM; do
  bg "$SOCKIT" proto call "127.0.0.1:$MP" ping >"$TMP/out" 2>"$TMP/err"; C=$BG_PID
  wait_signal_taken "$C" || fail "proto call never took SIGINT over"
  wait_accepted "$MP" || fail "proto call did not connect"
  kill -"$sig" "$C"
  stop_within "$C" 10
  expect_rc 1 "proto call with its request unanswered, after SIG$sig"
  expect_contains "$TMP/err" "^sockit: interrupted: 1 request to 127.0.0.1:$MP unanswered$" "the SIG$sig line"
done

# 4. proto call reading stdin, everything answered, then SIGINT: as at the end of input, exit 0.
rm -f "$TMP/in"; mkfifo "$TMP/in"; exec 5<>"$TMP/in"
# (The FIFO is opened inside: a shell gives a background command /dev/null as its stdin otherwise.)
"$SOCKIT" proto call "127.0.0.1:$P" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" & C=$!; _PIDS+=("$C")
echo ping >&5
wait_match "$TMP/out" '^OK PONG$' || fail "no answer in stdin mode: $(cat "$TMP/out" "$TMP/err")"
wait_signal_taken "$C" || fail "proto call never took SIGINT over"
kill -INT "$C"
stop_within "$C" 10
expect_rc 0 "proto call in stdin mode, all answered, after SIGINT"
exec 5>&-

# 5. recv during a transfer: SIGHUP stops it, the partial file goes; under nohup it is ignored.
mkdir -p "$TMP/out.d"
bg "$SOCKIT" recv 0 -o "$TMP/out.d" 2>"$TMP/recv.err"; R=$BG_PID
listening_port RP "$TMP/recv.err" tcp
cat >"$TMP/half.py" <<'PY'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
name, size = b"x.bin", 10_000_000
s.sendall(b"SKXF\x01H" + struct.pack(">BIQ", 2, 0o644, size) + bytes(16) + struct.pack(">H", len(name)) + name)
s.sendall(b"a" * 100_000)  # a hundredth of the body, then silence
time.sleep(15)
PY
bg python3 "$TMP/half.py" "$RP"
# The first 100 kB in the partial file: the transfer is under way.
for _ in $(seq 100); do [ "$(stat -c %s "$TMP/out.d/.x.bin.sockit-part" 2>/dev/null || echo 0)" -ge 100000 ] && break; sleep 0.1; done
[ -e "$TMP/out.d/.x.bin.sockit-part" ] || fail "the transfer did not start: $(cat "$TMP/recv.err")"
kill -HUP "$R"
stop_within "$R" 10
expect_rc 1 "recv interrupted by SIGHUP mid-transfer"
expect_contains "$TMP/recv.err" "interrupted: receive 'x.bin' did not finish" "recv's SIGHUP line"
expect_eq "$(ls -A "$TMP/out.d")" "" "what SIGHUP left in the output directory"

bg nohup "$SOCKIT" recv 0 -o "$TMP/out.d" >/dev/null 2>"$TMP/recv2.err"; R=$BG_PID
listening_port RP2 "$TMP/recv2.err" tcp
kill -HUP "$R"
sleep 0.3
kill -0 "$R" 2>/dev/null || fail "recv under nohup died of SIGHUP"
stop_server "$R"
finish
