#!/usr/bin/env bash
# examples/echo_server (the chapter's event-driven echo server on the library's portable pieces;
# its Windows build is tested under Wine in tests/windows) on Linux, once per engine: nc clients
# one after another (the second gets the first one's descriptor number back), one of 256 KiB,
# byte-exact; SIGINT stops it with its totals.
. "$SOCKIT_TEST_LIB"
need nc
ECHO=${SOCKIT_ECHO_EXAMPLE:?SOCKIT_ECHO_EXAMPLE must name examples/echo_server}
head -c 262144 /dev/urandom >"$TMP/in"
for engine in $("$SOCKIT" --engines 2>/dev/null | awk '{print $1}'); do
  bg "$ECHO" --engine "$engine" >"$TMP/out" 2>&1
  PID=$BG_PID
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) (engine .*/\1/p' "$TMP/out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || die "$engine: echo_server never listened: $(cat "$TMP/out")"
  for i in 1 2 3; do
    got=$(printf 'line %s\n' "$i" | timeout 5 nc -N 127.0.0.1 "$port")
    expect_eq "$got" "line $i" "$engine: client $i (one after another) echoed"
  done
  timeout 20 nc -N 127.0.0.1 "$port" <"$TMP/in" >"$TMP/back"
  cmp -s "$TMP/in" "$TMP/back" || fail "$engine: 256 KiB came back different ($(stat -c %s "$TMP/back") bytes)"
  kill -INT "$PID"
  for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  wait "$PID"; RC=$?
  expect_eq "$RC" 0 "$engine: exit status after SIGINT"
  expect_match "$TMP/out" "^stopped: 4 connections, $((262144 + 21)) bytes echoed$" "$engine: totals"
done
finish
