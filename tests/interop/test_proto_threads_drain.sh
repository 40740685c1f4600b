#!/usr/bin/env bash
# proto serve on the service host: --threads N loops share the port and all answer; --max-conns
# refuses the connection over the limit with a clean close; SIGINT drains (a connected client gets
# a FIN, the server exits 0 with its totals line soon, not at the drain deadline); a bad --threads
# is a usage error.
. "$SOCKIT_TEST_LIB"
need python3

run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto serve --port 0 --threads 0
expect_rc 2 "proto serve --threads 0"
expect_contains "$TMP/err" "bad --threads" "proto serve --threads 0"

bg "$SOCKIT" -vv proto serve --port 0 --threads 2 --drain-timeout 30 >"$TMP/out1" 2>"$TMP/err1"
S=$BG_PID
listening_port P "$TMP/err1" tcp proto
ok=0
for _ in $(seq 8); do
  "$SOCKIT" proto call "127.0.0.1:$P" ping 2>/dev/null | grep -q '^OK PONG' && ok=$((ok + 1))
done
expect_eq "$ok" 8 "--threads 2: every ping answered"
grep -q "2 loops" "$TMP/err1" || fail "--threads 2: not two loops: $(grep serving "$TMP/err1")"

# A client holding a connection: SIGINT, then the server must FIN it and exit well before the
# 30 s drain deadline, with its totals.
cat >"$TMP/hold.py" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
print('connected', flush=True)
t0 = time.monotonic()
try:
    d = s.recv(10)
    print('eof' if d == b'' else 'data', round(time.monotonic() - t0, 1), flush=True)
except OSError as e:
    print('error', e, flush=True)
PYEOF
bg python3 "$TMP/hold.py" "$P" >"$TMP/hold.out"
H=$BG_PID
for _ in $(seq 50); do grep -q connected "$TMP/hold.out" && break; sleep 0.1; done
sleep 0.2
kill -INT "$S"
waited=0
while kill -0 "$S" 2>/dev/null && [ "$waited" -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
kill -0 "$S" 2>/dev/null && fail "proto serve still running 5 s after SIGINT with one idle client"
wait "$S"; RC=$?
expect_rc 0 "proto serve after SIGINT"
wait "$H"
expect_contains "$TMP/hold.out" "^eof" "the held client got a clean FIN"
expect_contains "$TMP/out1" "^proto: 9 connection(s), 8 request(s), 0 bad input(s)$" "totals line"
expect_contains "$TMP/err1" "draining connections" "SIGINT drains"

# --max-conns 1: the second client is refused with a clean close, the first still served.
bg "$SOCKIT" proto serve --port 0 --max-conns 1 >/dev/null 2>"$TMP/err2"
S2=$BG_PID
listening_port P2 "$TMP/err2" tcp proto
cat >"$TMP/cap.py" <<'PYEOF'
import socket, struct, sys
port = int(sys.argv[1])
PING = struct.pack('<BHBI', 4, 0, 0, 0)
a = socket.create_connection(('127.0.0.1', port), timeout=5)
a.sendall(PING); first = a.recv(64)
b = socket.create_connection(('127.0.0.1', port), timeout=5)
second = b.recv(64)
a.sendall(PING); again = a.recv(64)
print('first', first[8:].decode(), 'second', 'eof' if second == b'' else second, 'again', again[8:].decode())
PYEOF
timeout 20 python3 "$TMP/cap.py" "$P2" >"$TMP/cap.out" 2>&1
expect_eq "$(cat "$TMP/cap.out")" "first PONG second eof again PONG" "--max-conns 1"
kill -INT "$S2"; wait "$S2"
finish
