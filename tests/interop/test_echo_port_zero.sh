#!/usr/bin/env bash
# sockit echo --port 0: TCP and UDP share the one free port the kernel picked (one loop and two),
# the table says which, and both protocols answer there.
. "$SOCKIT_TEST_LIB"
need socat nc timeout jq

for threads in 1 2; do
  bg "$SOCKIT" --json echo --port 0 --threads "$threads" >"$TMP/out.$threads" 2>"$TMP/err.$threads"
  for _ in $(seq 50); do [ "$(wc -l <"$TMP/out.$threads")" -ge 2 ] && break; sleep 0.1; done
  line=$(head -n 2 "$TMP/out.$threads" | tr '\n' ' ')
  tcp=$(jq -r 'select(.event == "listening" and .proto == "tcp") | .address' "$TMP/out.$threads" | sed 's/.*://')
  udp=$(jq -r 'select(.event == "listening" and .proto == "udp") | .address' "$TMP/out.$threads" | sed 's/.*://')
  [ -n "$tcp" ] && [ "$tcp" != 0 ] || { fail "threads $threads: no tcp port in: $line"; continue; }
  expect_eq "$udp" "$tcp" "threads $threads: udp port follows tcp's"
  expect_eq "$(printf tcp0 | timeout 5 nc -N 127.0.0.1 "$tcp")" "tcp0" "threads $threads: tcp echo on port $tcp"
  expect_eq "$(printf udp0 | timeout 5 socat -T 2 - "UDP:127.0.0.1:$udp")" "udp0" "threads $threads: udp echo on port $udp"
done
finish
