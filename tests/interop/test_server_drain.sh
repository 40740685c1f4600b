#!/usr/bin/env bash
# Graceful stop: on SIGTERM the server stops accepting, lets queued output drain up to
# --drain-timeout, then closes everything, prints the totals and exits 0.
#  - an echo client that queued ~8 MiB of echo without reading it, and starts reading only after
#    the SIGTERM, still receives every byte (then a clean EOF);
#  - a client that never reads holds the stop up no longer than the deadline;
#  - new connections are refused once draining;
#  - with --threads 2 each loop drains to its own end (one loop done early must not stop the other).
# Every engine.
. "$SOCKIT_TEST_LIB"
need python3

# A reader: sends up to SIZE MiB for SECS seconds (as much as the server takes), notes its source
# port and what it sent in sent<TAG>, waits for the go file (then delay<TAG> seconds, if given),
# reads everything that comes back and prints what it sent, what it got and how the stream ended.
# A small RCVBUF keeps most of the echo in the server's own output queue (what a loop stopped too
# early loses), rather than in kernel buffers (which close() still delivers).
cat >"$TMP/reader.py" <<'PY'
import os, socket, sys, time
port, tmp, tag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
size, secs, rcvbuf = int(sys.argv[4]) << 20, float(sys.argv[5]), int(sys.argv[6])
s = socket.socket()
if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.connect(("127.0.0.1", port))
s.setblocking(False)
sent, chunk = 0, b"z" * 65536
deadline = time.monotonic() + secs
while sent < size and time.monotonic() < deadline:
    try:
        sent += s.send(chunk[: min(len(chunk), size - sent)])
    except BlockingIOError:
        time.sleep(0.01)
open(tmp + "/sent" + tag, "w").write("%d %d" % (s.getsockname()[1], sent))
while not os.path.exists(tmp + "/go"):
    time.sleep(0.02)
if os.path.exists(tmp + "/delay" + tag):
    time.sleep(float(open(tmp + "/delay" + tag).read()))
s.setblocking(True); s.settimeout(5)
got, end = 0, "eof"
try:
    while True:
        b = s.recv(1 << 20)
        if not b: break
        got += len(b)
except OSError as e:
    end = type(e).__name__
print(sent, got, end)
PY

for eng in $(engines); do
  rm -f "$TMP/err"  # not the last server's listening line
  bg "$SOCKIT" echo --tcp --port 0 --engine "$eng" --drain-timeout 3 >"$TMP/out" 2>"$TMP/err"
  SERVER=$BG_PID
  listening_port P "$TMP/err" tcp echo
  # One reader (above): 8 MiB within 5 s, the default receive buffer.
  rm -f "$TMP/go" "$TMP/sent"
  timeout 30 python3 "$TMP/reader.py" "$P" "$TMP" "" 8 5 0 >"$TMP/reader" 2>&1 &
  READER=$!; _PIDS+=("$READER")
  # The never-reader: sends what the server takes of 8 MiB, stays connected, never reads.
  timeout 30 python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $P)); s.setblocking(False)
end = time.monotonic() + 4
while time.monotonic() < end:
    try: s.send(b'n' * 65536)
    except BlockingIOError: time.sleep(0.01)
time.sleep(30)" &
  HOG=$!; _PIDS+=("$HOG")
  for _ in $(seq 100); do [ -s "$TMP/sent" ] && break; sleep 0.1; done
  sleep 1
  start=$(date +%s.%N)
  kill -TERM "$SERVER"
  sleep 0.3
  # Draining: a new connection is not served (the listener is closed).
  if timeout 2 python3 -c "import socket; socket.create_connection(('127.0.0.1', $P)).close()" 2>/dev/null; then
    fail "$eng: a new connection was accepted while draining"
  fi
  touch "$TMP/go"
  wait "$SERVER"; RC=$?
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  expect_rc 0 "$eng: echo after SIGTERM"
  wait "$READER"
  read -r sent got end <"$TMP/reader"
  echo "$eng: reader sent $sent, got $got back ($end); stop took ${took}s with a never-reader (deadline 3 s)"
  [ "$end" = eof ] || fail "$eng: the reader's stream ended with $end, not a clean EOF: $(cat "$TMP/reader")"
  # The server stopped reading at its backpressure bound, so the echo is whatever it read: check
  # against its own count of bytes in (both connections) and that the reader got a real amount.
  [ "${got:-0}" -ge 1048576 ] || fail "$eng: the reader got only ${got:-0} bytes of queued echo"
  awk -v t="$took" 'BEGIN { exit !(t >= 2.5 && t < 5) }' || fail "$eng: stop took ${took}s; expected the 3 s deadline (a never-reader is connected)"
  row=$(awk 'NF == 8 && $1 == "echo" && $2 == "tcp"' "$TMP/out")
  [ -n "$row" ] || fail "$eng: no totals row: $(cat "$TMP/out")"
  kill "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null
done

# --threads 2: each loop drains on its own to its deadline. Twelve clients queue echo without
# reading (SO_REUSEPORT spreads them over both loops; the -vv log says which loop took which
# source port). After SIGTERM the clients of loop 0 (the one holding the signals) read at once,
# those of loop 1 only 1.5 s later: loop 0 is done first and must not stop loop 1. Every client
# gets every byte the server echoed, then a clean EOF (before the fix loop 1's clients saw a reset
# after ~128 KB, or a truncated echo).
# On epoll: the loops' own connections (with completions, the rings drain on their own threads and
# do not log which one took a client).
rm -f "$TMP/err"  # not the last server's listening line
bg "$SOCKIT" -vv echo --tcp --port 0 --threads 2 --drain-timeout 8 --engine epoll >"$TMP/out" 2>"$TMP/err"
SERVER=$BG_PID
listening_port P "$TMP/err" tcp echo
rm -f "$TMP/go"
READERS=()
N=12
for i in $(seq 0 $((N - 1))); do
  rm -f "$TMP/sent$i" "$TMP/delay$i"
  timeout 40 python3 "$TMP/reader.py" "$P" "$TMP" "$i" 5 3 16384 >"$TMP/reader$i" 2>&1 &
  READERS+=($!); _PIDS+=($!)
done
on1=0
for i in $(seq 0 $((N - 1))); do
  for _ in $(seq 100); do [ -s "$TMP/sent$i" ] && break; sleep 0.1; done
  read -r sport _ <"$TMP/sent$i"
  loop=$(grep -o "connection from 127.0.0.1:$sport on loop [0-9]*" "$TMP/err" | awk '{print $NF}')
  [ -n "$loop" ] || fail "--threads 2: no log line for client $i (port $sport): $(head -c 300 "$TMP/err")"
  echo "$loop" >"$TMP/loop$i"
  if [ "$loop" = 1 ]; then echo 1.5 >"$TMP/delay$i"; on1=$((on1 + 1)); else echo 0 >"$TMP/delay$i"; fi
done
echo "--threads 2: $on1 of $N clients on loop 1"
[ "$on1" -gt 0 ] && [ "$on1" -lt "$N" ] || fail "--threads 2: all $N clients landed on one loop; the test needs both"
# The server pauses reading at its backpressure bound and a draining server discards input: what
# each client should get back is what the server had read at the SIGTERM, its bytes sent less
# what still sits unsent on its side or unread on the server's (stable: nobody reads now).
sleep 1
for i in $(seq 0 $((N - 1))); do
  read -r sport sent <"$TMP/sent$i"
  sq=$(ss -tnH state established "sport = :$sport and dport = :$P" | awk '{print $2}')
  rq=$(ss -tnH state established "sport = :$P and dport = :$sport" | awk '{print $1}')
  echo $((sent - ${sq:-0} - ${rq:-0})) >"$TMP/expect$i"
done
kill -TERM "$SERVER"
sleep 0.2
touch "$TMP/go"
wait "$SERVER"; RC=$?
expect_rc 0 "--threads 2: echo after SIGTERM"
for r in "${READERS[@]}"; do wait "$r"; done
total=0
for i in $(seq 0 $((N - 1))); do
  read -r sent got end <"$TMP/reader$i"
  [ "$end" = eof ] || fail "--threads 2: reader $i ended with $end, not a clean EOF: $(cat "$TMP/reader$i")"
  want=$(cat "$TMP/expect$i")
  [ "${got:-0}" = "$want" ] || fail "--threads 2: reader $i (loop $(cat "$TMP/loop$i")) got ${got:-0} back; the server had read $want"
  total=$((total + ${got:-0}))
done
row=$(awk 'NF == 8 && $1 == "echo" && $2 == "tcp"' "$TMP/out")
read -r _ _ conns _ _ bout _ _ <<<"$row"
echo "--threads 2: $N readers got $total bytes after SIGTERM; server wrote ${bout:-?}"
expect_eq "${conns:-}" "$N" "--threads 2: connections in the totals"
expect_eq "$total" "${bout:-}" "--threads 2: every byte the server echoed reached its client"

# A reader that drains quickly does not wait for the deadline: chargen with a slow-to-start
# client, drain timeout 10 s, stop must come long before.
rm -f "$TMP/err"  # not the last server's listening line
bg "$SOCKIT" serve --tcp --services chargen --chargen-port 0 --drain-timeout 10 >"$TMP/out" 2>"$TMP/err"
SERVER=$BG_PID
listening_port C "$TMP/err" tcp chargen
rm -f "$TMP/go"
timeout 30 python3 - "$C" "$TMP" >"$TMP/reader" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
while not os.path.exists(sys.argv[2] + "/go"): time.sleep(0.02)
got = 0
while True:
    b = s.recv(1 << 20)
    if not b: break
    got += len(b)
print(got)
PY
READER=$!; _PIDS+=("$READER")
# Accepted first (a slow python start was still connecting when SIGTERM closed the listener).
wait_accepted "$C" 1 || fail "chargen did not accept the reader"
sleep 1
start=$(date +%s.%N)
kill -TERM "$SERVER"; sleep 0.2; touch "$TMP/go"
wait "$SERVER"; RC=$?
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
expect_rc 0 "chargen serve after SIGTERM"
wait "$READER"
got=$(cat "$TMP/reader")
out=$(awk 'NF == 8 && $1 == "chargen" && $2 == "tcp" {print $6}' "$TMP/out")
echo "chargen: client read $got bytes after SIGTERM; server counted $out out; stop took ${took}s (deadline 10 s)"
expect_eq "$got" "$out" "chargen: every byte the server sent reached the client"
awk -v t="$took" 'BEGIN { exit !(t < 3) }' || fail "chargen: stop took ${took}s although the client drained at once"
finish
