#!/usr/bin/env bash
# sockit relay over TCP with real peers at each end: nc and socat as clients, sockit echo, nc and
# socat as targets; bytes arrive unchanged both ways on every engine, a client's half-close
# reaches the target and the reply still comes back, and the statistics (SIGUSR1, the end, --json)
# count what went through.
. "$SOCKIT_TEST_LIB"
need nc socat python3 jq
PROBE="$(dirname "$SOCKIT_TEST_LIB")/relay_probe.py"

bg "$SOCKIT" echo --tcp --port 0 >/dev/null 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" tcp echo
head -c 4000000 /dev/urandom >"$TMP/in"

for eng in $(engines); do
  bg "$SOCKIT" relay 0 "127.0.0.1:$E" --engine "$eng" >"$TMP/out.$eng" 2>"$TMP/err.$eng"
  RELAY=$BG_PID
  listening_port R "$TMP/err.$eng" tcp
  # nc at the client end, sockit echo at the target: 4 MB there and back.
  timeout 20 nc -N 127.0.0.1 "$R" <"$TMP/in" >"$TMP/back" || fail "$eng: nc through the relay"
  cmp -s "$TMP/in" "$TMP/back" || fail "$eng: nc: the echoed bytes differ ($(stat -c %s "$TMP/back") of 4000000)"
  # socat at the client end.
  timeout 20 socat -t 5 - "TCP:127.0.0.1:$R" <"$TMP/in" >"$TMP/back2" || fail "$eng: socat through the relay"
  cmp -s "$TMP/in" "$TMP/back2" || fail "$eng: socat: the echoed bytes differ"
  # --copy, the read/write path, on the same engine.
  bg "$SOCKIT" relay 0 "127.0.0.1:$E" --engine "$eng" --copy >/dev/null 2>"$TMP/errc.$eng"
  COPY=$BG_PID
  listening_port RC "$TMP/errc.$eng" tcp
  timeout 20 nc -N 127.0.0.1 "$RC" <"$TMP/in" >"$TMP/back3" || fail "$eng: nc through the relay --copy"
  cmp -s "$TMP/in" "$TMP/back3" || fail "$eng: --copy: the echoed bytes differ"
  stop_server "$COPY"
  stop_server "$RELAY"
  expect_rc 0 "$eng: relay after SIGTERM"
  expect_match "$TMP/out.$eng" '^totals: 2 connections \(0 open\), 0 refused, 0 target failures, 0 resets, 8000000 bytes up, 8000000 bytes down$' "$eng: totals"
  echo "$eng: 2 x 4 MB echoed through the relay (nc, socat) and through --copy"
done

# --threads 2: two loops share the port; SIGUSR1's report sums them.
bg "$SOCKIT" relay 0 "127.0.0.1:$E" --threads 2 >"$TMP/out.threads" 2>"$TMP/err.threads"
RELAY=$BG_PID
listening_port R "$TMP/err.threads" tcp
for i in $(seq 20); do
  got=$(printf 'n%s' "$i" | timeout 5 nc -N 127.0.0.1 "$R")
  expect_eq "$got" "n$i" "--threads 2: connection $i"
done
kill -USR1 "$RELAY"
for _ in $(seq 50); do grep -q '^totals:' "$TMP/out.threads" && break; sleep 0.1; done
expect_match "$TMP/out.threads" '^totals: 20 connections \(0 open\), 0 refused, 0 target failures, 0 resets, 51 bytes up, 51 bytes down$' "--threads 2: SIGUSR1 sums both loops"
stop_server "$RELAY"
expect_rc 0 "--threads 2: after SIGTERM"

# nc as the target: what a socat client sends arrives whole, and nc's EOF ends the relay's side.
bg_on_free_port NP tcp nc -l 127.0.0.1 '{port}'
NCPID=$BG_PID
bg "$SOCKIT" relay 0 "127.0.0.1:$NP" >/dev/null 2>"$TMP/err.nc"
RELAY=$BG_PID
listening_port R "$TMP/err.nc" tcp
# nc -l writes what it gets to stdout: restart it with a file (bg_on_free_port gave us the port).
kill "$NCPID"; wait "$NCPID" 2>/dev/null
for _ in $(seq 50); do ss -tlnH "sport = :$NP" | grep -q . || break; sleep 0.1; done
nc -l 127.0.0.1 "$NP" >"$TMP/at_nc" & NCPID=$!; _PIDS+=("$NCPID")
wait_listen "$NP"
timeout 20 socat -u "OPEN:$TMP/in" "TCP:127.0.0.1:$R" || fail "socat -> relay -> nc"
for _ in $(seq 100); do kill -0 "$NCPID" 2>/dev/null || break; sleep 0.1; done
cmp -s "$TMP/in" "$TMP/at_nc" || fail "nc target: got $(stat -c %s "$TMP/at_nc") bytes, not the 4000000 sent"
stop_server "$RELAY"

# socat as the target, answering only after the client's EOF: the half-close goes through and the
# reply comes back on the open half.
bg_on_free_port SP tcp socat "TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork" "SYSTEM:wc -c"
bg "$SOCKIT" --json relay 0 "127.0.0.1:$SP" >"$TMP/out.json" 2>"$TMP/err.json"
RELAY=$BG_PID
listening_port R "$TMP/err.json" tcp
got=$(timeout 10 python3 "$PROBE" tcp-halfclose "$R" | jq -r .reply | tr -d ' \n')
expect_eq "$got" "11" "half-close: the target's count of what came before the client's FIN"
kill -USR1 "$RELAY"
wait_nonempty "$TMP/out.json"
for _ in $(seq 50); do grep -q '"event":"stats"' "$TMP/out.json" && break; sleep 0.1; done
stop_server "$RELAY"
expect_rc 0 "relay --json after SIGTERM"
jq -e -s '.[0] | .event == "listening" and .proto == "tcp" and (.address | test(":[0-9]+$")) and (.seed | type == "number")' "$TMP/out.json" >/dev/null \
  || fail "--json: listening object: $(head -c 300 "$TMP/out.json")"
n=$(jq -s '[.[] | select(.event == "stats")] | length' "$TMP/out.json")
expect_eq "$n" "2" "--json: stats objects (SIGUSR1, end)"
jq -e -s '[.[] | select(.event == "stats")] | .[1] | .final == true and .totals.connections == 1 and .totals.bytes_up == 11
          and .totals.bytes_down == 3 and .totals.resets == 0 and .connections[0].state == "closed"
          and .connections[0].path == "splice" and (.connections[0].client | test("^127.0.0.1:"))' "$TMP/out.json" >/dev/null \
  || fail "--json: final stats: $(tail -1 "$TMP/out.json")"
jq -e -s '[.[] | select(.event == "stats")] | .[0].final == false' "$TMP/out.json" >/dev/null || fail "--json: SIGUSR1 stats not marked final:false"
finish
