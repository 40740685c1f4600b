#!/usr/bin/env bash
# --threads N: N loops share each port through SO_REUSEPORT (TCP and UDP). Clients are served
# whichever loop the kernel hands them to, and the totals are summed over the loops (same table
# and JSON shape); a port another program holds still fails with EADDRINUSE; port 0 resolves to
# one port every loop shares; bad values are usage errors. Every engine.
. "$SOCKIT_TEST_LIB"
need python3 jq socat

for eng in $(engines); do
  bg "$SOCKIT" --json echo --port 0 --threads 2 --engine "$eng" >"$TMP/json" 2>"$TMP/err"
  SERVER=$BG_PID
  wait_nonempty "$TMP/json"
  for _ in $(seq 50); do [ "$(wc -l <"$TMP/json")" -ge 4 ] && break; sleep 0.1; done
  P=$(jq -r 'select(.event == "listening" and .proto == "tcp" and (.address | startswith("127."))) | .address' "$TMP/json" | sed 's/.*://')
  U=$(jq -r 'select(.event == "listening" and .proto == "udp" and (.address | startswith("127."))) | .address' "$TMP/json" | sed 's/.*://')
  [ -n "$P" ] || die "$eng: no listening line: $(cat "$TMP/json" "$TMP/err")"
  # Two listeners (one per loop) on the one TCP port.
  n=$(ss -tlnH "sport = :$P" | grep -c "127\.0\.0\.1:$P")
  expect_eq "$n" "2" "$eng: listening sockets on port $P"
  res=$(timeout 20 python3 - "$P" <<'PY'
import socket, sys, threading
port = int(sys.argv[1]); ok = []
def client(i):
    s = socket.create_connection(("127.0.0.1", port)); data = bytes([i]) * 1000
    s.sendall(data); s.shutdown(socket.SHUT_WR); got = b""
    while True:
        b = s.recv(65536)
        if not b: break
        got += b
    ok.append(got == data)
ts = [threading.Thread(target=client, args=(i,)) for i in range(40)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(ok))
PY
)
  expect_eq "$res" "40" "$eng: 40 concurrent TCP clients echoed over 2 loops"
  got=$(printf 'dgram' | timeout 5 socat -t 1 - "UDP:127.0.0.1:$U")
  expect_eq "$got" "dgram" "$eng: UDP echo over 2 loops"
  kill -TERM "$SERVER"; wait "$SERVER"; RC=$?
  expect_rc 0 "$eng: echo --threads 2 after SIGTERM"
  expect_lines "$TMP/json" 5 "$eng: JSON lines (four listening objects, tcp and udp on 127.0.0.1 and ::1, then totals)"
  t=$(jq -c 'select(.event == "totals") | .services[] | select(.proto == "tcp") | [.connections, .bytes_in, .bytes_out, .errors]' "$TMP/json")
  expect_eq "$t" "[40,40000,40000,0]" "$eng: TCP totals summed over the loops"
  t=$(jq -c 'select(.event == "totals") | .services[] | select(.proto == "udp") | [.datagrams, .bytes_in]' "$TMP/json")
  expect_eq "$t" "[1,5]" "$eng: UDP totals summed over the loops"
done

# Port in use by another server: still EADDRINUSE with --threads (SO_REUSEPORT does not let a
# second sockit share it silently).
bg "$SOCKIT" serve --tcp --services echo --echo-port 0 --threads 2 >"$TMP/out1" 2>"$TMP/err1"
FIRST=$BG_PID
listening_port E "$TMP/err1" tcp echo
run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --tcp --services echo --echo-port "$E" --threads 2
expect_rc 1 "second serve --threads 2 on a port in use"
expect_contains "$TMP/err" "Address already in use" "second serve's error"
kill -TERM "$FIRST"; wait "$FIRST"

# auto: one loop per core.
bg "$SOCKIT" echo --tcp --port 0 --threads auto >"$TMP/out" 2>"$TMP/err"
SERVER=$BG_PID
wait_nonempty "$TMP/out"
P=$(awk '$2 == "tcp" && $3 ~ /^127\./ {print $3}' "$TMP/out" | sed 's/.*://')
expect_eq "$(ss -tlnH "sport = :$P" | grep -c "127\.0\.0\.1:$P")" "$(nproc)" "--threads auto: one listener per core"
kill -INT "$SERVER"; wait "$SERVER"; RC=$?
expect_rc 0 "echo --threads auto after SIGINT"

for bad in 0 -1 x 2000; do
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" echo --port 0 --threads "$bad"
  expect_rc 2 "--threads $bad"
  expect_contains "$TMP/err" "bad --threads" "--threads $bad message"
done
finish
