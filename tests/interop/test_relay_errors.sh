#!/usr/bin/env bash
# sockit relay when things go wrong: a target that refuses or resets (the client is reset, one
# warning line, counted), a client that resets, hostile option values (one usage line, exit 2),
# a port already in use, a closed stdout, and Ctrl+C: the first drains and prints the totals, a
# second one while held bytes cannot leave exits 130 at once.
. "$SOCKIT_TEST_LIB"
need python3 jq nc
PROBE="$(dirname "$SOCKIT_TEST_LIB")/relay_probe.py"

# --- hostile options ---
while IFS='|' read -r args want; do
  # shellcheck disable=SC2086
  run "$TMP/o" "$TMP/err" -- "$SOCKIT" relay $args
  expect_rc 2 "relay $args"
  expect_lines "$TMP/err" 1 "relay $args: one line"
  expect_contains "$TMP/err" "$want" "relay $args"
done <<'CASES'
0 127.0.0.1:7 --threads 0|--threads
0 127.0.0.1:7 --threads 99999999999|--threads
0 127.0.0.1:7 --delay nan|--delay
0 127.0.0.1:7 --delay inf|--delay
0 127.0.0.1:7 --delay -1|--delay
0 127.0.0.1:7 --jitter 1e999|--jitter
0 127.0.0.1:7 --rate 1e99|--rate
0 127.0.0.1:7 --rate nan|--rate
0 127.0.0.1:7 --udp --loss 101|--loss
0 127.0.0.1:7 --udp --reorder -3|--reorder
0 127.0.0.1:7 --loss 5|--loss applies to --udp only
0 127.0.0.1:7 --idle 3|--idle applies to --udp only
0 127.0.0.1:7 --udp --copy|--copy applies to TCP only
0 127.0.0.1:7 --impair sideways|--impair
0 127.0.0.1:7 --seed -1|--seed
0 127.0.0.1:7 --seed 9223372036854775808|at most 9223372036854775807
0 127.0.0.1:7 --pipe-size 99999999999999|--pipe-size
0 127.0.0.1:7 --max-conns 0|--max-conns
70000 127.0.0.1:7|LISTEN
0 127.0.0.1:0|bad TARGET '127.0.0.1:0': cannot connect to port 0
0 127.1:7|127.1
0|TARGET
CASES

# --- a random seed is one --seed takes back (0 to 2^63-1): half of them were not, once ---
for i in $(seq 8); do
  bg "$SOCKIT" --json relay 0 127.0.0.1:7 --delay 0.01 >"$TMP/seed.out" 2>"$TMP/seed.err"
  SEEDER=$BG_PID
  for _ in $(seq 50); do grep -q '"seed"' "$TMP/seed.out" && break; sleep 0.1; done
  stop_server "$SEEDER"
  # python, not jq: jq reads numbers as doubles, and a 63-bit seed does not fit one.
  seed=$(python3 -c 'import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("event") == "listening": print(o["seed"]); break' "$TMP/seed.out")
  [ -n "$seed" ] || fail "no seed in the listening line: $(head -c 300 "$TMP/seed.out")"
  python3 -c "import sys; sys.exit(0 if 0 <= int(sys.argv[1]) < 2**63 else 1)" "$seed" || fail "random seed $seed is past 2^63-1"
done
run "$TMP/o" "$TMP/err" -- "$SOCKIT" relay 0 127.0.0.1:7 --seed "$seed" --delay 0.01 --max-conns 0
expect_contains "$TMP/err" "--max-conns" "a printed seed parses (the run stops at the next option)"
grep -q -- "--seed" "$TMP/err" && fail "--seed $seed refused: $(cat "$TMP/err")"

# --- a port in use ---
bg "$SOCKIT" relay 0 127.0.0.1:7 >/dev/null 2>"$TMP/first.err"
FIRST=$BG_PID
listening_port P "$TMP/first.err" tcp
run "$TMP/o" "$TMP/err" -- "$SOCKIT" relay "$P" 127.0.0.1:7
expect_rc 1 "a LISTEN port in use"
expect_match "$TMP/err" "^sockit: bind relay tcp 127.0.0.1:$P: .*EADDRINUSE" "a LISTEN port in use"
stop_server "$FIRST"

# --- a target that refuses: the client is reset, one warning line ---
CLOSED=$(free_port tcp)
bg "$SOCKIT" relay 0 "127.0.0.1:$CLOSED" >"$TMP/refused.out" 2>"$TMP/refused.err"
RELAY=$BG_PID
listening_port R "$TMP/refused.err" tcp
got=$(timeout 10 python3 "$PROBE" tcp-expect-reset "$R" | jq -r .outcome)
expect_eq "$got" "reset" "a client relayed to a closed port"
wait_match "$TMP/refused.err" "client reset" || true  # logged as the connection ends, maybe after the reset
n=$(grep -c "connect 127.0.0.1:$CLOSED: Connection refused (ECONNREFUSED); client reset" "$TMP/refused.err")
expect_eq "$n" "1" "one warning line for the refused target"
stop_server "$RELAY"
expect_match "$TMP/refused.out" '^totals: 1 connections \(0 open\), 0 refused, 1 target failures, 0 resets' "refused: totals"
expect_match "$TMP/refused.out" ' target-failed ' "refused: the connection's row"

# --- a target that never answers (its SYNs dropped by nftables in a namespace of our own):
# after --connect-timeout the client is reset, one warning line ---
if [ "$(id -u)" -eq 0 ] && command -v nft >/dev/null; then
  make_netns
  ip netns exec "$NS" nft -f - <<'NFT' || die "nft rules in $NS"
table inet relaytest {
  chain out { type filter hook output priority 0; tcp dport 9 drop; }
}
NFT
  bg ip netns exec "$NS" "$SOCKIT" relay 0 127.0.0.1:9 --connect-timeout 0.5 >"$TMP/silent.out" 2>"$TMP/silent.err"
  RELAY=$BG_PID
  listening_port R "$TMP/silent.err" tcp
  t0=$(date +%s.%N)
  got=$(timeout 10 ip netns exec "$NS" python3 "$PROBE" tcp-expect-reset "$R" | jq -r .outcome)
  t1=$(date +%s.%N)
  expect_eq "$got" "reset" "a target that never answers: the client is reset"
  wait_match "$TMP/silent.err" "client reset" || true  # logged as the connection ends, maybe after the reset
  awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 0.45 && b - a < 5) }' || fail "a target that never answers: reset after $(echo "$t1 - $t0" | bc) s, not --connect-timeout 0.5"
  expect_contains "$TMP/silent.err" "connect 127.0.0.1:9: Connection timed out (ETIMEDOUT); client reset" "a target that never answers: the warning"
  stop_server "$RELAY"
else
  echo "note: not root or no nft: the --connect-timeout case is left out"
fi

# --- a target that resets after the first bytes, and a client that resets ---
cat >"$TMP/rst_server.py" <<'PY'
import socket, struct, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8)
print(l.getsockname()[1], flush=True)
log = open(sys.argv[1], "w")
while True:
    c, _ = l.accept()
    try:
        data = c.recv(100)
    except ConnectionResetError:
        log.write("reset\n"); log.flush(); c.close(); continue
    if data.startswith(b"rst-me"):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        continue
    try:  # wait for the client's end: a reset, passed on by the relay
        more = c.recv(100)
        log.write("eof\n" if more == b"" else "data\n")
    except ConnectionResetError:
        log.write("reset\n")
    log.flush(); c.close()
PY
python3 "$TMP/rst_server.py" "$TMP/rst.log" >"$TMP/rst.port" & _PIDS+=($!)
wait_nonempty "$TMP/rst.port"
T=$(head -1 "$TMP/rst.port")
bg "$SOCKIT" relay 0 "127.0.0.1:$T" >"$TMP/rst.out" 2>"$TMP/rst.err"
RELAY=$BG_PID
listening_port R "$TMP/rst.err" tcp
got=$(timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"rst-me")
try:
    print("eof" if s.recv(100) == b"" else "data")
except ConnectionResetError:
    print("reset")' "$R")
expect_eq "$got" "reset" "a target that resets: the client is reset too"
timeout 10 python3 -c '
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"hello")
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$R"
for _ in $(seq 50); do [ -s "$TMP/rst.log" ] && break; sleep 0.1; done
expect_eq "$(cat "$TMP/rst.log")" "reset" "a client that resets: the target sees a reset"
stop_server "$RELAY"
expect_match "$TMP/rst.out" '^totals: 2 connections \(0 open\), 0 refused, 0 target failures, 2 resets' "resets: totals"

# --- a closed stdout: statistics go nowhere, the relay goes on and exits 0 ---
bg "$SOCKIT" echo --tcp --port 0 >/dev/null 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" tcp echo
bg "$SOCKIT" relay 0 "127.0.0.1:$E" 2>"$TMP/closed.err" >&-
RELAY=$BG_PID
listening_port R "$TMP/closed.err" tcp
kill -USR1 "$RELAY"
got=$(printf 'still relaying' | timeout 5 nc -N 127.0.0.1 "$R")
expect_eq "$got" "still relaying" "closed stdout: after SIGUSR1"
stop_server "$RELAY"
expect_rc 0 "closed stdout"
# A reader that left (EPIPE): the same, quietly.
( "$SOCKIT" relay 0 "127.0.0.1:$E" 2>"$TMP/pipe.err" | true ) & PIPED=$!; _PIDS+=("$PIPED")
listening_port R "$TMP/pipe.err" tcp
RELAY=$(pgrep -P "$PIPED" -f "relay 0 127.0.0.1:$E" | head -1)
[ -n "$RELAY" ] || RELAY=$(pgrep -f "relay 0 127.0.0.1:$E" | head -1)
kill -USR1 "$RELAY"; sleep 0.2
got=$(printf 'after EPIPE' | timeout 5 nc -N 127.0.0.1 "$R")
expect_eq "$got" "after EPIPE" "stdout to a reader that left: still relaying"
kill -TERM "$RELAY"; wait "$PIPED"
[ "$(wc -c <"$TMP/pipe.err")" -lt 200 ] || fail "EPIPE on stdout: $(cat "$TMP/pipe.err")"

# --- Ctrl+C: held bytes that take long to leave (--rate: 10 kB/s of 4 MiB held); a second
# Ctrl+C exits 130 at once ---
bg "$SOCKIT" serve --tcp --services chargen --chargen-port 0 >/dev/null 2>"$TMP/chargen.err"
listening_port C "$TMP/chargen.err" tcp chargen
bg "$SOCKIT" relay 0 "127.0.0.1:$C" --rate 10000 --impair down >"$TMP/int.out" 2>"$TMP/int.err"
RELAY=$BG_PID
listening_port R "$TMP/int.err" tcp
mkfifo "$TMP/never"; exec 3<>"$TMP/never"
bg socat -u "OPEN:$TMP/never" "TCP:127.0.0.1:$R"   # connects, never reads
# Something is held only once the relay has the client (then 1 s of chargen at 10 kB/s out).
wait_accepted "$R" 1 || fail "the relay did not accept the client that never reads"
sleep 1
kill -INT "$RELAY"; sleep 0.5
kill -0 "$RELAY" 2>/dev/null || fail "the first Ctrl+C did not wait for the held bytes (drain)"
kill -INT "$RELAY"
for _ in $(seq 30); do kill -0 "$RELAY" 2>/dev/null || break; sleep 0.1; done
wait "$RELAY"; RC=$?
expect_rc 130 "a second Ctrl+C"
# One Ctrl+C with nothing held: totals and exit 0.
bg "$SOCKIT" relay 0 "127.0.0.1:$C" >"$TMP/int1.out" 2>"$TMP/int1.err"
RELAY=$BG_PID
listening_port R "$TMP/int1.err" tcp
kill -INT "$RELAY"
for _ in $(seq 30); do kill -0 "$RELAY" 2>/dev/null || break; sleep 0.1; done
wait "$RELAY"; RC=$?
expect_rc 0 "one Ctrl+C"
expect_match "$TMP/int1.out" '^totals: 0 connections' "one Ctrl+C: totals"
finish
