#!/usr/bin/env bash
# sockit bench against sockit echo (every engine) and against a socat "echo" that corrupts bytes:
# counts, verification, JSON shape, errors, UDP, and select's FD_SETSIZE guard under real load.
. "$SOCKIT_TEST_LIB"
need socat stdbuf

start_echo() {  # start_echo tcp|udp ARGS...: sockit echo on port 0 in the background, PID in $ECHO_PID, port in $P
  local proto=$1; shift
  # A fresh file: the background shell may not have truncated the last server's yet when
  # listening_port reads it, and that port is closed.
  rm -f "$TMP/echo.err"
  bg "$SOCKIT" echo --port 0 "$@" 2>"$TMP/echo.err"
  ECHO_PID=$BG_PID
  listening_port P "$TMP/echo.err" "$proto" echo
}

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

# 1. TCP against sockit echo on each engine: messages flow, nothing is corrupted or lost.
for engine in $(engines); do
  start_echo tcp --tcp --engine "$engine"
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" -c 4 -d 2 -s 100 -t 1 --warmup 0.2 --server-pid "$ECHO_PID"
  expect_rc 0 "bench tcp ($engine)"
  expect_lines "$TMP/out" 1 "bench --json prints one object ($engine)"
  msgs=$(json_num "$TMP/out" messages)
  [ "${msgs:-0}" -gt 100 ] || fail "bench tcp ($engine): only ${msgs:-0} messages in 1 s"
  expect_eq "$(json_num "$TMP/out" errors)" 0 "bench tcp errors ($engine)"
  for key in target proto connections connected sources depth size duration_s msgs_per_s mb_per_s latency_us p50 p99 p999 max udp_lost server_cpu_us_per_msg; do
    expect_contains "$TMP/out" "\"$key\":" "bench JSON key $key"
  done
  expect_eq "$(json_num "$TMP/out" connected)" 4 "bench tcp: connections open ($engine)"
  # Percentiles of one histogram cannot decrease.
  lat=$(sed -n 's/.*"latency_us":{\([^}]*\)}.*/\1/p' "$TMP/out")
  awk -v l="$lat" 'BEGIN { n = split(l, kv, ","); for (i = 1; i <= n; i++) { split(kv[i], p, ":"); v[i] = p[2] + 0 }
    for (i = 2; i <= n; i++) if (v[i] < v[i - 1]) exit 1 }' || fail "bench latency percentiles not in order p50 <= p90 <= p99 <= p999 <= max ($engine): $lat"
  expect_contains "$TMP/out" '"latency_us":{"p50":[0-9.]*,"p90":[0-9.]*,"p99":[0-9.]*,"p999":[0-9.]*,"max":[0-9.]*}' "latency keys in order ($engine)"
  cpu=$(json_num "$TMP/out" server_cpu_us_per_msg)
  [ -n "$cpu" ] || fail "bench --server-pid gave no server CPU figure ($engine): $(cat "$TMP/out")"
  kill "$ECHO_PID"; wait "$ECHO_PID" 2>/dev/null
done

# 2. Human output.
start_echo tcp --tcp
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" -t 0.5 --warmup 0
expect_rc 0 "bench text"
expect_contains "$TMP/out" "messages" "bench text output"
expect_contains "$TMP/out" "latency      p50" "bench text output"

# 3. UDP against sockit echo with the rate limit off: replies verified, loss reported.
kill "$ECHO_PID"; wait "$ECHO_PID" 2>/dev/null
start_echo udp --udp --udp-rate 0
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" --udp -c 2 -d 4 -s 64 -t 1 --warmup 0.2
expect_rc 0 "bench udp"
msgs=$(json_num "$TMP/out" messages)
[ "${msgs:-0}" -gt 100 ] || fail "bench udp: only ${msgs:-0} datagrams echoed"
expect_contains "$TMP/out" '"proto":"udp"' "bench udp JSON"
lost=$(json_num "$TMP/out" udp_lost)
[ "${lost:-1}" -le $(( msgs / 10 )) ] || fail "bench udp: $lost lost of $msgs on loopback"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --udp -s 4 -t 0.5
expect_rc 2 "bench --udp with a message too small for its sequence number"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --udp -s 70000 -t 0.5
expect_rc 2 "bench --udp with a message larger than a UDP datagram (65507)"
expect_contains "$TMP/err" "65507" "bench --udp -s 70000 names the maximum"

# 4. A server that corrupts every byte: bench must notice, say so once, exit 1.
printf '#!/bin/sh\nexec stdbuf -i0 -o0 tr %s %s\n' "'\\000-\\377'" "'\\001-\\377\\000'" >"$TMP/corrupt.sh"
chmod +x "$TMP/corrupt.sh"
bg_on_free_port P tcp socat "TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork" EXEC:"$TMP/corrupt.sh"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" -c 2 -t 1 --warmup 0
expect_rc 1 "bench against a corrupting server"
expect_contains "$TMP/out" '"first_error":"echo from' "bench --json reports the corruption"
expect_lines "$TMP/err" 1 "bench against a corrupting server: one error line"
expect_contains "$TMP/err" "does not match what was sent" "bench names the corruption"

# 5. Nobody listening: one line, exit 1.
P=$(free_port)
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" -t 0.5
expect_rc 1 "bench to a closed port"
expect_lines "$TMP/err" 1 "bench to a closed port: one error line"
expect_contains "$TMP/err" "ECONNREFUSED" "bench to a closed port"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:70000"
expect_rc 2 "bench to port 70000"
# --threads goes through the servers' parser: what stoi would read as 2 is refused.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --threads 2x -t 0.5
expect_rc 2 "bench --threads 2x"
expect_contains "$TMP/err" "^sockit: bad --threads '2x': a number from 1 to 1024 or 'auto'$" "bench --threads 2x message"

# 6. select cannot watch descriptors >= FD_SETSIZE (1024): with 1100 connections the server must
#    refuse the excess cleanly, keep serving the rest, and not crash.
bg bash -c "ulimit -n 4096 && exec \"\$0\" echo --tcp --port 0 --engine select --max-connections 100000 >\"\$1.out\" 2>\"\$1.err\"" "$SOCKIT" "$TMP/select"
SEL_PID=$BG_PID
listening_port P "$TMP/select.err" tcp echo
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" -c 1100 -t 1 --warmup 0.5
kill -0 "$SEL_PID" 2>/dev/null || fail "select echo died under 1100 connections"
msgs=$(json_num "$TMP/out" messages)
[ "${msgs:-0}" -gt 0 ] || fail "select echo served nothing once past FD_SETSIZE: $(cat "$TMP/out" "$TMP/err")"
errs=$(json_num "$TMP/out" errors)
[ "${errs:-0}" -gt 0 ] || fail "connections past FD_SETSIZE should have been refused (errors=$errs)"
printf 'ping\n' | timeout 5 nc -N 127.0.0.1 "$P" >"$TMP/ping" 2>/dev/null
expect_eq "$(cat "$TMP/ping")" "ping" "select echo still serves after the excess was refused"
expect_contains "$TMP/select.err" "descriptor too large for this backend" "select names why it refused"
# The refusals are a capacity limit, like shedding: DROPPED, not ERRORS; and the warning is
# rate-limited (one a second with a count), not one line per refused connection.
kill -TERM "$SEL_PID"; wait "$SEL_PID" 2>/dev/null
read -r dropped errors <<<"$(awk 'NF == 8 && $1 == "echo" && $2 == "tcp" {print $7, $8}' "$TMP/select.out")"
[ "${dropped:-0}" -ge 50 ] || fail "select refusals not counted as DROPPED (dropped=${dropped:-?}): $(cat "$TMP/select.out")"
expect_eq "${errors:-}" 0 "select refusals are not ERRORS"
warned=$(grep -c "descriptor too large" "$TMP/select.err")
[ "$warned" -le 5 ] || fail "select logged $warned refusal warnings for $dropped refusals (not rate-limited)"

# 7. More connections than RLIMIT_NOFILE allows (and cannot be raised past a hard limit of 200):
#    one line with the numbers, exit 1, no connection attempted (no flood of EMFILE errors).
start_echo tcp --tcp
run "$TMP/out" "$TMP/err" -- bash -c 'ulimit -n 200 && exec "$0" bench "127.0.0.1:$1" -c 500 -t 0.5' "$SOCKIT" "$P"
expect_rc 1 "bench -c 500 under a hard limit of 200 descriptors"
expect_lines "$TMP/err" 1 "bench -c 500 under ulimit -n 200: one error line"
expect_contains "$TMP/err" "needs 566 descriptors; RLIMIT_NOFILE allows 200" "bench names the descriptor shortfall"
kill "$ECHO_PID"; wait "$ECHO_PID" 2>/dev/null
# A server started under a soft limit of 256 raises it to the hard limit: 400 connections work.
rm -f "$TMP/echo.err"
bg bash -c 'ulimit -Sn 256 && exec "$0" echo --tcp --port 0 --max-conns 1000 2>"$1"' "$SOCKIT" "$TMP/echo.err"
ECHO_PID=$BG_PID
listening_port P "$TMP/echo.err" tcp echo
soft=$(awk '/Max open files/ {print $4}' "/proc/$ECHO_PID/limits")
hard=$(awk '/Max open files/ {print $5}' "/proc/$ECHO_PID/limits")
expect_eq "$soft" "$hard" "echo raised its soft RLIMIT_NOFILE to the hard limit"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" -c 400 -t 0.5 --warmup 0
expect_rc 0 "bench -c 400 against echo started with ulimit -Sn 256"
expect_eq "$(json_num "$TMP/out" connected)" 400 "echo under ulimit -Sn 256 serves 400 connections"

# 8. Source addresses: --per-source (hidden, for tests) makes 300 connections use 127.0.0.1..3;
#    ss must see them. (test_bench_sources.sh covers the real trigger, ports running out.)
bg "$SOCKIT" --json bench "127.0.0.1:$P" -c 300 --per-source 100 -t 2 --warmup 0 >"$TMP/out" 2>"$TMP/err"
BENCH=$BG_PID
# Sampled while bench runs (up to 30 s: 300 connections take a while to open on a loaded machine);
# the widest sample is kept.
: >"$TMP/sources"
for _ in $(seq 300); do
  sleep 0.1
  ss -tnH state established "dport = :$P" | awk '{split($3, a, ":"); print a[1]}' | sort -u >"$TMP/sources.now"
  [ "$(wc -l <"$TMP/sources.now")" -ge "$(wc -l <"$TMP/sources")" ] && cp "$TMP/sources.now" "$TMP/sources"
  [ "$(wc -l <"$TMP/sources")" -ge 3 ] && break
  kill -0 "$BENCH" 2>/dev/null || break
done
wait "$BENCH"; RC=$?
expect_rc 0 "bench --per-source 100 -c 300"
expect_eq "$(json_num "$TMP/out" sources)" 3 "bench --per-source 100 -c 300: sources"
expect_eq "$(tr '\n' ' ' <"$TMP/sources")" "127.0.0.1 127.0.0.2 127.0.0.3 " "source addresses ss saw"

finish
