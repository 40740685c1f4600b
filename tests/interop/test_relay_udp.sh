#!/usr/bin/env bash
# sockit relay --udp: socat and a numbered-datagram client through the relay to sockit echo
# (every datagram back, in order), iperf3 -u end to end (its TCP control connection through a
# TCP relay on the same port number), sessions that expire after --idle, and --max-sessions.
. "$SOCKIT_TEST_LIB"
need socat python3 jq iperf3
PROBE="$(dirname "$SOCKIT_TEST_LIB")/relay_probe.py"

bg "$SOCKIT" echo --udp --port 0 --udp-rate 0 >/dev/null 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" udp echo

for eng in $(engines); do
  bg "$SOCKIT" --json relay --udp 0 "127.0.0.1:$E" --engine "$eng" >"$TMP/out.$eng" 2>"$TMP/err.$eng"
  RELAY=$BG_PID
  listening_port R "$TMP/err.$eng" udp
  got=$(printf 'hello through the relay' | timeout 5 socat -t 0.5 - "UDP:127.0.0.1:$R")
  expect_eq "$got" "hello through the relay" "$eng: socat through the UDP relay"
  res=$(timeout 20 python3 "$PROBE" udp-seq "$R" 300 0.001 0.5)
  echo "$eng: $res"
  # UDP: a loaded machine may drop a few in a socket buffer; the relay itself drops none here.
  [ "$(jq .received <<<"$res")" -ge 290 ] || fail "$eng: numbered datagrams back: $res"
  expect_eq "$(jq .inversions <<<"$res")" "0" "$eng: datagrams out of order"
  expect_eq "$(jq .duplicates <<<"$res")" "0" "$eng: duplicates"
  stop_server "$RELAY"
  expect_rc 0 "$eng: UDP relay after SIGTERM"
  jq -e -s '[.[] | select(.event == "stats")][0] | .final and .proto == "udp" and .totals.connections == 2
            and .totals.datagrams_up >= 291 and .totals.datagrams_down >= 291 and .totals.dropped == 0
            and (.connections | length) == 2 and .connections[0].state == "stopped"' "$TMP/out.$eng" >/dev/null \
    || fail "$eng: --json totals: $(tail -1 "$TMP/out.$eng")"
done

# Expiry: a session silent for --idle is closed; the next datagram opens a new one.
bg "$SOCKIT" --json relay --udp 0 "127.0.0.1:$E" --idle 0.3 >"$TMP/out.idle" 2>"$TMP/err.idle"
RELAY=$BG_PID
listening_port R "$TMP/err.idle" udp
python3 - "$R" <<'PY' || fail "idle: a client"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"one"); assert s.recv(10) == b"one"
time.sleep(0.8)
s.send(b"two"); assert s.recv(10) == b"two"
PY
kill -USR1 "$RELAY"
for _ in $(seq 50); do grep -q '"event":"stats"' "$TMP/out.idle" && break; sleep 0.1; done
jq -e -s '[.[] | select(.event == "stats")][0] | .final == false and .totals.connections == 2 and .totals.expired == 1
          and .totals.active == 1 and .connections[0].state == "expired" and .connections[1].state == "active"' "$TMP/out.idle" >/dev/null \
  || fail "idle: $(tail -1 "$TMP/out.idle")"
stop_server "$RELAY"

# --max-sessions 2: a third client's datagrams are dropped and counted.
bg "$SOCKIT" relay --udp 0 "127.0.0.1:$E" --max-sessions 2 >"$TMP/out.max" 2>"$TMP/err.max"
RELAY=$BG_PID
listening_port R "$TMP/err.max" udp
python3 - "$R" <<'PY' || fail "--max-sessions: clients"
import socket, sys
port = int(sys.argv[1])
socks = []
for i in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2 if i < 2 else 0.5)
    s.connect(("127.0.0.1", port)); socks.append(s)
for i, s in enumerate(socks):
    s.send(b"x")
    try:
        got = s.recv(10)
    except socket.timeout:
        got = None
    assert (got == b"x") == (i < 2), (i, got)
PY
stop_server "$RELAY"
expect_match "$TMP/out.max" '^totals: 2 sessions \(0 active, 0 expired\), 1 refused' "--max-sessions: totals"
expect_contains "$TMP/err.max" "2 sessions already open (--max-sessions)" "--max-sessions: the warning"

# iperf3 -u through the relay: UDP relay for the data, a TCP relay on the same port for control.
bg_on_free_port IP tcp iperf3 -s -B 127.0.0.1 -p '{port}' -1
# The UDP relay picks a free UDP port; the same TCP port may be taken (another test's connection):
# then both start again on another one (5 tries).
for try in 1 2 3 4 5; do
  rm -f "$TMP/err.iu" "$TMP/err.it"
  bg "$SOCKIT" relay --udp 0 "127.0.0.1:$IP" >"$TMP/out.iu" 2>"$TMP/err.iu"
  UREL=$BG_PID
  listening_port R "$TMP/err.iu" udp
  bg "$SOCKIT" relay "$R" "127.0.0.1:$IP" >/dev/null 2>"$TMP/err.it"
  TREL=$BG_PID
  for _ in $(seq 100); do
    grep -q 'listening on .* (tcp)' "$TMP/err.it" 2>/dev/null && break
    kill -0 "$TREL" 2>/dev/null || break
    sleep 0.1
  done
  grep -q 'listening on .* (tcp)' "$TMP/err.it" 2>/dev/null && break
  echo "note: TCP port $R taken (try $try): $(head -c 200 "$TMP/err.it")" >&2
  stop_server "$UREL"
done
listening_port RT "$TMP/err.it" tcp
timeout 30 iperf3 -c 127.0.0.1 -p "$R" -u -b 10M -l 1400 -t 1 -J >"$TMP/iperf.json" || fail "iperf3 -u through the relay: $(head -c 300 "$TMP/iperf.json")"
lost=$(jq '.end.sum.lost_percent' "$TMP/iperf.json")
pkts=$(jq '.end.sum.packets' "$TMP/iperf.json")
echo "iperf3 -u 10 Mbit/s (1400-byte datagrams) through the relay: $pkts datagrams, $lost % lost"
[ "${pkts:-0}" -gt 500 ] || fail "iperf3: only ${pkts} datagrams"
# Generous: on a loaded machine the relay's socket buffers may overflow now and then.
awk -v l="$lost" 'BEGIN { exit !(l < 20) }' || fail "iperf3: $lost % lost through the relay: $(tail -3 "$TMP/out.iu")"
stop_server "$UREL"; stop_server "$TREL"
expect_match "$TMP/out.iu" '^totals: 1 sessions' "iperf3: one session"
finish
