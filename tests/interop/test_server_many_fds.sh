#!/usr/bin/env bash
# epoll and poll serve descriptors past 1024: sockit echo started under a soft RLIMIT_NOFILE of
# 1024 raises it itself, and 1500 bench connections (server descriptors well past 1024) are all
# served, byte-verified, without an error. select is exempt on purpose: its fd_set stops at
# FD_SETSIZE (1024); test_bench.sh checks that it refuses the excess cleanly instead.
. "$SOCKIT_TEST_LIB"

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 4096 ] || skip "needs an RLIMIT_NOFILE hard limit of at least 4096 (have $hard)"

for eng in $(engines 2048); do
  bg bash -c 'ulimit -Sn 1024 && exec "$0" echo --tcp --port 0 --engine "$1" --max-conns 5000 2>"$2"' "$SOCKIT" "$eng" "$TMP/server.$eng.err"
  SERVER=$BG_PID
  listening_port P "$TMP/server.$eng.err" tcp echo
  bg "$SOCKIT" --json bench "127.0.0.1:$P" -c 1500 -d 1 -t 1.5 --warmup 0.5 >"$TMP/out" 2>"$TMP/err"
  BENCH=$BG_PID
  top=0
  for _ in $(seq 40); do
    sleep 0.1
    n=$(ls "/proc/$SERVER/fd" 2>/dev/null | sort -n | tail -1)
    [ "${n:-0}" -gt "$top" ] && top=$n
    [ "$top" -gt 1400 ] && break
  done
  wait "$BENCH"; RC=$?
  echo "$eng: highest server descriptor $top; bench: $(head -c 300 "$TMP/out")"
  expect_rc 0 "$eng: bench -c 1500"
  [ "$top" -gt 1100 ] || fail "$eng: the server never held a descriptor past 1100 (highest $top)"
  expect_eq "$(json_num "$TMP/out" connected)" 1500 "$eng: connections open"
  expect_eq "$(json_num "$TMP/out" errors)" 0 "$eng: errors"
  msgs=$(json_num "$TMP/out" messages)
  [ "${msgs:-0}" -gt 1500 ] || fail "$eng: only ${msgs:-0} messages over 1500 connections"
  kill -TERM "$SERVER"; wait "$SERVER"; RC=$?
  expect_rc 0 "$eng: echo after SIGTERM"
done
finish
