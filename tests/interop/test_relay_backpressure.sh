#!/usr/bin/env bash
# Bounded memory whatever the peers do: a target that never reads while the client pushes 64 MiB,
# and a client that never reads while the target (chargen) floods. The relay stops reading a side
# while what it holds toward the other is at its bound (the pipe; the copy buffer; the delay line
# with impairments), so its RSS (VmRSS) stays put and the pusher is held up, on each data path.
# labels: long
. "$SOCKIT_TEST_LIB"
need socat python3

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

python3 -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
l.bind(("127.0.0.1", 0)); l.listen(8)
print(l.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = l.accept(); conns.append(c)   # never read
' >"$TMP/sink.port" & _PIDS+=($!)
wait_nonempty "$TMP/sink.port"
SINK=$(head -1 "$TMP/sink.port")
bg "$SOCKIT" serve --tcp --services chargen --chargen-port 0 >/dev/null 2>"$TMP/chargen.err"
listening_port C "$TMP/chargen.err" tcp chargen
mkfifo "$TMP/never"; exec 3<>"$TMP/never"

for path in splice copy timed; do
  case $path in
    splice) opts=() ;;
    copy) opts=(--copy) ;;
    timed) opts=(--delay 0.01) ;;
  esac
  # A target that never reads.
  bg "$SOCKIT" relay 0 "127.0.0.1:$SINK" "${opts[@]}" >/dev/null 2>"$TMP/err.up.$path"
  RELAY=$BG_PID
  listening_port R "$TMP/err.up.$path" tcp
  before=$(rss_kib "$RELAY")
  head -c 67108864 /dev/zero | timeout 20 socat -u - "TCP:127.0.0.1:$R" 2>/dev/null &
  HOG=$!; _PIDS+=("$HOG")
  sleep 1
  after=$(rss_kib "$RELAY")
  kill -0 "$HOG" 2>/dev/null || fail "$path: 64 MiB went into a target that never reads (no backpressure)"
  echo "$path, target never reads: relay RSS ${before} KiB -> ${after} KiB"
  [ $((after - before)) -lt 16384 ] || fail "$path: RSS grew by $((after - before)) KiB with a target that never reads"
  kill "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null
  # What it holds can never reach the sink: a second SIGTERM ends the drain at once.
  kill -TERM "$RELAY"; sleep 0.3; kill -TERM "$RELAY" 2>/dev/null; wait "$RELAY"
  # A client that never reads, chargen flooding.
  bg "$SOCKIT" relay 0 "127.0.0.1:$C" "${opts[@]}" >"$TMP/out.down.$path" 2>"$TMP/err.down.$path"
  RELAY=$BG_PID
  listening_port R "$TMP/err.down.$path" tcp
  before=$(rss_kib "$RELAY")
  bg socat -u "OPEN:$TMP/never" "TCP:127.0.0.1:$R"
  READER=$BG_PID
  sleep 1
  after=$(rss_kib "$RELAY")
  echo "$path, client never reads: relay RSS ${before} KiB -> ${after} KiB"
  [ $((after - before)) -lt 16384 ] || fail "$path: RSS grew by $((after - before)) KiB with a client that never reads"
  top=$(ps -o %cpu= -p "$RELAY" | tr -d ' ')
  [ "${top%.*}" -lt 50 ] || fail "$path: ${top}% CPU while both sides are blocked (busy loop?)"
  kill "$READER"; wait "$READER" 2>/dev/null
  stop_server "$RELAY"
  down=$(awk '/^totals:/ {print $(NF-2)}' "$TMP/out.down.$path")
  echo "$path: $down bytes went down to the client that never read"
  [ -n "$down" ] && [ "$down" -lt 67108864 ] || fail "$path: $down bytes to a client that never read"
done
finish
