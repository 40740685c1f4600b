#!/usr/bin/env bash
# Every server raises its soft RLIMIT_NOFILE to the hard limit at start (a stock soft limit of 1024
# must not cap clients): started with a soft limit of 256, each one runs with soft = hard.
. "$SOCKIT_TEST_LIB"
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -gt 256 ] || skip "CI cannot have: a hard RLIMIT_NOFILE above 256 (it is $hard)"

check() {  # NAME ARGS...: start the server under a soft limit of 256 and read its limits back
  local name=$1; shift
  bg bash -c 'ulimit -Sn 256 && exec "$@"' sh "$SOCKIT" "$@"
  local pid=$BG_PID soft=
  for _ in $(seq 50); do
    soft=$(awk '/^Max open files/ {print $4}' "/proc/$pid/limits" 2>/dev/null)
    [ -n "$soft" ] && [ "$soft" != 256 ] && break
    sleep 0.1
  done
  local want
  want=$(awk '/^Max open files/ {print $5}' "/proc/$pid/limits" 2>/dev/null)
  expect_eq "$soft" "$want" "$name: soft RLIMIT_NOFILE raised to the hard limit"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
check "proto serve" proto serve --port 0
check "echo" echo --tcp --port 0
check "serve" serve --tcp --services echo --echo-port 0
finish
