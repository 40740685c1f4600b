#!/usr/bin/env bash
# Bounded memory whatever the peers do: a target that never reads while the client pushes 64 MiB,
# and a client that never reads while the target (chargen) floods. The relay stops reading a side
# while what it holds toward the other is at its bound (the pipe; the copy buffer; the delay line
# with impairments; a side's 1 MiB output queue with TLS), so its RSS (VmRSS) stays put and the
# pusher is held up, on each data path, TLS (--tls-out, --tls-in) included.
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

# TLS: copied through the streams, a side not read while the other's queue is over 1 MiB.
CERTS=$TMP/certs
bash "$(dirname "$SOCKIT_TEST_LIB")/make_certs.sh" "$CERTS" || die "make_certs.sh failed"
# A TLS target that finishes its handshakes and never reads.
python3 -c '
import socket, ssl, sys, threading, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1], sys.argv[2])
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
l.bind(("127.0.0.1", 0)); l.listen(8)
print(l.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = l.accept(); conns.append(ctx.wrap_socket(c, server_side=True))   # never read
' "$CERTS/good.pem" "$CERTS/good.key" >"$TMP/tsink.port" & _PIDS+=($!)
wait_nonempty "$TMP/tsink.port"
TSINK=$(head -1 "$TMP/tsink.port")
bg "$SOCKIT" relay 0 "127.0.0.1:$TSINK" --tls-out --tls-ca "$CERTS/ca.pem" >/dev/null 2>"$TMP/err.up.tls"
RELAY=$BG_PID
listening_port R "$TMP/err.up.tls" tcp
before=$(rss_kib "$RELAY")
head -c 67108864 /dev/zero | timeout 20 socat -u - "TCP:127.0.0.1:$R" 2>/dev/null &
HOG=$!; _PIDS+=("$HOG")
sleep 1
after=$(rss_kib "$RELAY")
kill -0 "$HOG" 2>/dev/null || fail "tls-out: 64 MiB went into a target that never reads (no backpressure)"
echo "tls-out, target never reads: relay RSS ${before} KiB -> ${after} KiB"
[ $((after - before)) -lt 16384 ] || fail "tls-out: RSS grew by $((after - before)) KiB with a target that never reads"
kill "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null
kill -TERM "$RELAY"; sleep 0.3; kill -TERM "$RELAY" 2>/dev/null; wait "$RELAY"
# A TLS client that never reads, chargen flooding through --tls-in.
bg "$SOCKIT" relay 0 "127.0.0.1:$C" --tls-in --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key" \
  >"$TMP/out.down.tls" 2>"$TMP/err.down.tls"
RELAY=$BG_PID
listening_port R "$TMP/err.down.tls" tcp
before=$(rss_kib "$RELAY")
bg python3 -c '
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[1])
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
t = ctx.wrap_socket(s, server_hostname="localhost")
time.sleep(20)   # never reads
' "$CERTS/ca.pem" "$R"
READER=$BG_PID
sleep 1
after=$(rss_kib "$RELAY")
echo "tls-in, client never reads: relay RSS ${before} KiB -> ${after} KiB"
[ $((after - before)) -lt 16384 ] || fail "tls-in: RSS grew by $((after - before)) KiB with a client that never reads"
top=$(ps -o %cpu= -p "$RELAY" | tr -d ' ')
[ "${top%.*}" -lt 50 ] || fail "tls-in: ${top}% CPU while both sides are blocked (busy loop?)"
kill "$READER"; wait "$READER" 2>/dev/null
stop_server "$RELAY"
down=$(awk '/^totals:/ {print $(NF-2)}' "$TMP/out.down.tls")
echo "tls-in: $down bytes went down to the client that never read"
[ -n "$down" ] && [ "$down" -gt 0 ] && [ "$down" -lt 67108864 ] || fail "tls-in: $down bytes to a client that never read"
finish
