#!/usr/bin/env bash
# SIGINT or SIGTERM during sockit bench ends the run early with what it measured so far, in text
# and --json, exit 0 when anything was measured (as `proto call --count`); nothing measured yet
# (still warming up) is exit 1 with one line; a second signal exits 130 at once.
. "$SOCKIT_TEST_LIB"

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

P=$(free_port)
bg "$SOCKIT" echo --tcp --port "$P"
wait_listen "$P"

# interrupt AFTER SIGNAL... -- ARGS...: starts a 30 s bench, sends each SIGNAL AFTER seconds in
# (the second right after the first); sets RC and STOP_SECS (from the first signal to the exit).
interrupt() {
  local after=$1 waited=0 sigs=() pid t0
  shift
  while [ "$1" != "--" ]; do sigs+=("$1"); shift; done
  shift
  bg "$SOCKIT" "$@" >"$TMP/out" 2>"$TMP/err"
  pid=$BG_PID
  # Until bench has taken SIGINT over (blocked in the thread that waits for it), a signal meets
  # what a script's background job inherits (SIGINT ignored): wait for that, up to 10 s, as a slow
  # sanitized start on a busy machine can take a while.
  local blk taken
  for _ in $(seq 100); do
    taken=0
    for blk in $(awk '/^SigBlk:/ {print $2}' /proc/"$pid"/task/*/status 2>/dev/null); do
      (( 16#$blk & 2 )) && taken=1
    done
    [ "$taken" = 1 ] && break
    sleep 0.1
  done
  sleep "$after"
  t0=$(date +%s%N)
  for s in "${sigs[@]}"; do kill -s "$s" "$pid"; done
  # Bounded wait: a bench that ignores the signal fails here instead of hanging the test.
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do sleep 0.05; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then fail "bench did not stop within 2.5 s of ${sigs[*]}"; kill -9 "$pid"; fi
  wait "$pid"; RC=$?
  STOP_SECS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# 1. SIGINT, text: the usual report, for the part of the window that ran.
interrupt 1.2 INT -- bench "127.0.0.1:$P" -t 30 --warmup 0.2
expect_rc 0 "bench interrupted by SIGINT after 1 s of measuring"
expect_contains "$TMP/out" "^  messages     [1-9][0-9]* (" "SIGINT: messages so far"
expect_contains "$TMP/out" "^  latency      p50 " "SIGINT: latency so far"
expect_contains "$TMP/out" "^  interrupted  after [0-9.]* s of the 30 s window" "SIGINT: says it was cut short"
expect_lines "$TMP/err" 0 "SIGINT with results: nothing on stderr"

# 2. SIGTERM, --json: one object, the window as long as it really was.
interrupt 1.2 TERM -- --json bench "127.0.0.1:$P" -t 30 --warmup 0.2
expect_rc 0 "bench --json interrupted by SIGTERM"
expect_lines "$TMP/out" 1 "SIGTERM --json: one object"
msgs=$(json_num "$TMP/out" messages)
[ "${msgs:-0}" -gt 0 ] || fail "SIGTERM --json: no messages: $(cat "$TMP/out")"
expect_contains "$TMP/out" '"interrupted":true' "SIGTERM --json: interrupted"
dur=$(json_num "$TMP/out" duration_s)
awk -v d="${dur:-0}" 'BEGIN { exit !(d > 0.3 && d < 5) }' || fail "SIGTERM --json: duration_s $dur is not the part of the window that ran"

# 3. Interrupted while warming up: nothing measured, exit 1, one line.
interrupt 0.5 INT -- bench "127.0.0.1:$P" -t 30 --warmup 20
expect_rc 1 "bench interrupted during the warm-up"
expect_lines "$TMP/err" 1 "interrupted during the warm-up: one line"
expect_contains "$TMP/err" "interrupted before anything was measured" "interrupted during the warm-up says so"
# The same in --json: nothing measured is 0 s, not the -t asked for.
interrupt 0.5 INT -- --json bench "127.0.0.1:$P" -t 30 --warmup 20
expect_rc 1 "bench --json interrupted during the warm-up"
expect_contains "$TMP/out" '"duration_s":0,"messages":0,"msgs_per_s":0,' "bench --json interrupted during the warm-up: 0 s measured"

# 3a. --tls against a server that never answers the handshake (a discard port): SIGINT ends the
# handshake's wait (10 s at most) at once, as it ends a connect's.
bg "$SOCKIT" serve --discard-port 0 --echo-port 0 --daytime-port 0 --chargen-port 0 >/dev/null 2>"$TMP/serve.err"
DISCARD=$BG_PID
listening_port DP "$TMP/serve.err" tcp discard
interrupt 1 INT -- bench --tls --tls-insecure "127.0.0.1:$DP" -t 0.5 --warmup 0
expect_rc 1 "bench --tls interrupted in a stalled handshake"
[ "$STOP_SECS" -lt 2000 ] || fail "bench --tls took $STOP_SECS ms to stop in a stalled handshake"
expect_contains "$TMP/err" "interrupted before anything was measured" "bench --tls interrupted in a stalled handshake says so"
kill "$DISCARD" 2>/dev/null

# 3b. A load of 1024 connections x depth 4096 (TCP on epoll, and UDP): the first sends and the
# refills are seconds of kernel work, yet SIGINT is seen at once, and -t 1 ends in about 1 s
# (both took 7-10 s, and blamed the server: "nothing measured").
bg "$SOCKIT" echo --udp --port "$P"
UDP_ECHO=$BG_PID
wait_listen "$P" udp
for proto in "--engine epoll" "-u"; do
  # shellcheck disable=SC2086
  interrupt 1.5 INT -- bench "127.0.0.1:$P" $proto -c 1024 -d 4096 -t 30 --warmup 0
  expect_rc 0 "bench $proto -c 1024 -d 4096 interrupted"
  # shellcheck disable=SC2086
  t0=$(date +%s%N)
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" $proto -c 1024 -d 4096 -t 1 --warmup 0
  took=$(( ($(date +%s%N) - t0) / 1000000 ))
  expect_rc 0 "bench $proto -c 1024 -d 4096 -t 1"
  [ "$took" -lt 5000 ] || fail "bench $proto -c 1024 -d 4096 -t 1 took $took ms"
done
kill "$UDP_ECHO" 2>/dev/null

# 4. A second signal: exit 130 at once.
interrupt 0.5 INT TERM -- bench "127.0.0.1:$P" -t 30 --warmup 0.2
expect_rc 130 "bench given a second signal"
[ "$STOP_SECS" -lt 1000 ] || fail "bench took $STOP_SECS ms to exit after the second signal"

finish
