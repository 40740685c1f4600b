#!/usr/bin/env bash
# sockit serve stops cleanly on SIGINT and SIGTERM: exit 0 within a second or two, even with a
# client still connected, and its totals (text and --json) match exactly what the test sent.
. "$SOCKIT_TEST_LIB"
need nc socat jq

stop_and_wait() {  # PID SIGNAL: sends it, waits up to 10 s, sets RC
  local start=$SECONDS
  kill -"$2" "$1"
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then fail "serve still running 10 s after SIG$2"; kill -9 "$1"; fi
  wait "$1"; RC=$?
}

# Text totals after SIGINT.
serve_every_service "$TMP/out" "$TMP/err"
head -c 1000 /dev/urandom >"$TMP/a"
timeout 10 nc -N 127.0.0.1 "$E" <"$TMP/a" >/dev/null || fail "echo client exited $?"
head -c 2500 /dev/urandom | timeout 10 nc -N 127.0.0.1 "$D" >/dev/null || fail "discard client exited $?"
head -c 2500 /dev/urandom | timeout 10 nc -N 127.0.0.1 "$D" >/dev/null || fail "discard client exited $?"
printf 'hello' | timeout 5 socat -t 1 - "UDP:127.0.0.1:$EU" >/dev/null
printf '12345678' | timeout 5 socat -t 1 - "UDP:127.0.0.1:$DU" >/dev/null
# A client left connected (idle) must not hold the shutdown up.
mkfifo "$TMP/idle"; exec 3<>"$TMP/idle"
bg nc 127.0.0.1 "$E" <"$TMP/idle" >/dev/null 2>&1
# Counted only once serve has accepted it (not a fixed pause: a slow nc was still in the backlog).
wait_accepted "$E" 1 || fail "serve did not accept the idle client"
stop_and_wait "$SERVE" INT
expect_rc 0 "serve after SIGINT"
row() { awk -v s="$1" -v p="$2" 'NF == 8 && $1 == s && $2 == p' "$TMP/out"; }
# SERVICE PROTO CONNECTIONS DATAGRAMS BYTES_IN BYTES_OUT DROPPED ERRORS
expect_eq "$(row echo tcp | awk '{print $3, $5, $6, $8}')" "2 1000 1000 0" "echo tcp totals (connections bytes_in bytes_out errors)"
expect_eq "$(row echo udp | awk '{print $4, $5, $6}')" "1 5 5" "echo udp totals (datagrams bytes_in bytes_out)"
expect_eq "$(row discard tcp | awk '{print $3, $5, $6}')" "2 5000 0" "discard tcp totals"
expect_eq "$(row discard udp | awk '{print $4, $5, $6}')" "1 8 0" "discard udp totals"
expect_eq "$(row daytime tcp | awk '{print $3}')" "0" "daytime tcp connections"
grep -v '^sockit: listening on ' "$TMP/err" | grep -q . && fail "serve wrote to stderr (besides its listening lines): $(head -c 300 "$TMP/err")"

# JSON after SIGTERM: one "listening" object, then one "totals" object.
rm -f "$TMP/err"  # not the last server's listening line
bg "$SOCKIT" --json serve --services echo --echo-port 0 >"$TMP/json" 2>"$TMP/err"
SERVE=$BG_PID
listening_port E "$TMP/err" tcp echo; listening_port EU "$TMP/err" udp echo
printf 'abc' | timeout 10 nc -N 127.0.0.1 "$E" >/dev/null
stop_and_wait "$SERVE" TERM
expect_rc 0 "serve --json after SIGTERM"
expect_lines "$TMP/json" 5 "JSON output (four listening objects, one per socket: tcp and udp on 127.0.0.1 and ::1; then totals)"
jq -se '.[0].event == "listening" and .[0].service == "echo" and .[0].proto == "tcp" and .[0].address == "127.0.0.1:'"$E"'"
        and .[1].event == "listening" and .[1].proto == "tcp" and .[1].address == "[::1]:'"$E"'"
        and .[2].event == "listening" and .[2].proto == "udp" and .[4].event == "totals"' \
  "$TMP/json" >/dev/null || fail "listening objects: $(head -2 "$TMP/json")"
grep -qx "sockit: listening on 127.0.0.1:$E (tcp) echo" "$TMP/err" || fail "no stderr listening line for tcp: $(cat "$TMP/err")"
grep -qx "sockit: listening on 127.0.0.1:$EU (udp) echo" "$TMP/err" || fail "no stderr listening line for udp: $(cat "$TMP/err")"
got=$(jq -c 'select(.event == "totals") | .services[] | select(.proto == "tcp") | [.connections, .bytes_in, .bytes_out, .errors]' "$TMP/json")
expect_eq "$got" "[1,3,3,0]" "JSON echo tcp totals"
addr=$(jq -r 'select(.event == "totals") | .services[0].address' "$TMP/json")
expect_eq "$addr" "127.0.0.1:$E" "JSON address"
# A second signal does not wait for the drain: exit 130 at once. A chargen client that never reads
# keeps the first drain busy (up to --drain-timeout 30).
bg "$SOCKIT" serve --services chargen --chargen-port 0 --tcp --drain-timeout 30 >"$TMP/out2" 2>"$TMP/err2"
SERVE=$BG_PID
listening_port C "$TMP/err2" tcp chargen
bg python3 -c 'import socket,sys,time; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); time.sleep(20)' "$C"
HOLD=$BG_PID
# The drain is busy only once the client is accepted and chargen's output queued for it.
wait_accepted "$C" 1 || fail "serve did not accept the client that never reads"
sleep 0.5
kill -INT "$SERVE"; sleep 1
if kill -0 "$SERVE" 2>/dev/null; then
  kill -INT "$SERVE"
  for _ in $(seq 100); do kill -0 "$SERVE" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVE" 2>/dev/null; then fail "serve still running 10 s after a second SIGINT"; kill -9 "$SERVE"; fi
  wait "$SERVE"; RC=$?
  expect_rc 130 "serve after a second SIGINT during the drain"
else
  fail "serve stopped on the first SIGINT although a client that never reads kept its drain busy"
fi
kill "$HOLD" 2>/dev/null
finish
