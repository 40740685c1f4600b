#!/usr/bin/env bash
# sockit echo --port 0: TCP and UDP share the one free port the kernel picked (one loop and two),
# the table says which, and both protocols answer there.
. "$SOCKIT_TEST_LIB"
need socat nc timeout

for threads in 1 2; do
  bg "$SOCKIT" --json echo --port 0 --threads "$threads" >"$TMP/out.$threads" 2>"$TMP/err.$threads"
  for _ in $(seq 50); do [ -s "$TMP/out.$threads" ] && break; sleep 0.1; done
  line=$(head -n 1 "$TMP/out.$threads")
  tcp=$(printf '%s' "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([s["address"] for s in d["services"] if s["proto"]=="tcp"][0].rsplit(":",1)[1])')
  udp=$(printf '%s' "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([s["address"] for s in d["services"] if s["proto"]=="udp"][0].rsplit(":",1)[1])')
  [ -n "$tcp" ] && [ "$tcp" != 0 ] || { fail "threads $threads: no tcp port in: $line"; continue; }
  expect_eq "$udp" "$tcp" "threads $threads: udp port follows tcp's"
  expect_eq "$(printf tcp0 | timeout 5 nc -N 127.0.0.1 "$tcp")" "tcp0" "threads $threads: tcp echo on port $tcp"
  expect_eq "$(printf udp0 | timeout 5 socat -T 2 - "UDP:127.0.0.1:$udp")" "udp0" "threads $threads: udp echo on port $udp"
done
finish
