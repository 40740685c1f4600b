#!/usr/bin/env bash
# sockit bench against sockit echo (every engine) and against a socat "echo" that corrupts bytes:
# counts, verification, JSON shape, errors, UDP, and select's FD_SETSIZE guard under real load.
. "$SOCKIT_TEST_LIB"
need socat stdbuf

start_echo() {  # start_echo PORT ARGS...: sockit echo in the background, PID in $ECHO_PID
  local port=$1; shift
  bg "$SOCKIT" echo --port "$port" "$@"
  ECHO_PID=$BG_PID
}

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

# 1. TCP against sockit echo on each engine: messages flow, nothing is corrupted or lost.
for engine in epoll poll select; do
  P=$(free_port)
  start_echo "$P" --tcp --engine "$engine"
  wait_listen "$P"
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" -c 4 -d 2 -s 100 -t 1 --warmup 0.2 --server-pid "$ECHO_PID"
  expect_rc 0 "bench tcp ($engine)"
  expect_lines "$TMP/out" 1 "bench --json prints one object ($engine)"
  msgs=$(json_num "$TMP/out" messages)
  [ "${msgs:-0}" -gt 100 ] || fail "bench tcp ($engine): only ${msgs:-0} messages in 1 s"
  expect_eq "$(json_num "$TMP/out" errors)" 0 "bench tcp errors ($engine)"
  for key in target proto connections depth size duration_s msgs_per_s mb_per_s latency_us p50 p99 p999 max udp_lost server_cpu_us_per_msg; do
    expect_contains "$TMP/out" "\"$key\":" "bench JSON key $key"
  done
  cpu=$(json_num "$TMP/out" server_cpu_us_per_msg)
  [ -n "$cpu" ] || fail "bench --server-pid gave no server CPU figure ($engine): $(cat "$TMP/out")"
  kill "$ECHO_PID"; wait "$ECHO_PID" 2>/dev/null
done

# 2. Human output.
P=$(free_port)
start_echo "$P" --tcp
wait_listen "$P"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" -t 0.5 --warmup 0
expect_rc 0 "bench text"
expect_contains "$TMP/out" "messages" "bench text output"
expect_contains "$TMP/out" "latency      p50" "bench text output"

# 3. UDP against sockit echo with the rate limit off: replies verified, loss reported.
kill "$ECHO_PID"; wait "$ECHO_PID" 2>/dev/null
P=$(free_port udp)
start_echo "$P" --udp --udp-rate 0
wait_listen "$P" udp
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" --udp -c 2 -d 4 -s 64 -t 1 --warmup 0.2
expect_rc 0 "bench udp"
msgs=$(json_num "$TMP/out" messages)
[ "${msgs:-0}" -gt 100 ] || fail "bench udp: only ${msgs:-0} datagrams echoed"
expect_contains "$TMP/out" '"proto":"udp"' "bench udp JSON"
lost=$(json_num "$TMP/out" udp_lost)
[ "${lost:-1}" -le $(( msgs / 10 )) ] || fail "bench udp: $lost lost of $msgs on loopback"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --udp -s 4 -t 0.5
expect_rc 2 "bench --udp with a message too small for its sequence number"

# 4. A server that corrupts every byte: bench must notice, say so once, exit 1.
P=$(free_port)
printf '#!/bin/sh\nexec stdbuf -i0 -o0 tr %s %s\n' "'\\000-\\377'" "'\\001-\\377\\000'" >"$TMP/corrupt.sh"
chmod +x "$TMP/corrupt.sh"
bg socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr,fork" EXEC:"$TMP/corrupt.sh"
wait_listen "$P"
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

# 6. select cannot watch descriptors >= FD_SETSIZE (1024): with 1100 connections the server must
#    refuse the excess cleanly, keep serving the rest, and not crash.
P=$(free_port)
bg bash -c "ulimit -n 4096 && exec \"\$0\" echo --tcp --port $P --engine select --max-connections 100000 2>\"\$1\"" "$SOCKIT" "$TMP/select.err"
SEL_PID=$BG_PID
wait_listen "$P"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" -c 1100 -t 1 --warmup 0.5
kill -0 "$SEL_PID" 2>/dev/null || fail "select echo died under 1100 connections"
msgs=$(json_num "$TMP/out" messages)
[ "${msgs:-0}" -gt 0 ] || fail "select echo served nothing once past FD_SETSIZE: $(cat "$TMP/out" "$TMP/err")"
errs=$(json_num "$TMP/out" errors)
[ "${errs:-0}" -gt 0 ] || fail "connections past FD_SETSIZE should have been refused (errors=$errs)"
printf 'ping\n' | timeout 5 nc -N 127.0.0.1 "$P" >"$TMP/ping" 2>/dev/null
expect_eq "$(cat "$TMP/ping")" "ping" "select echo still serves after the excess was refused"
expect_contains "$TMP/select.err" "descriptor too large for this backend" "select names why it refused"

finish
