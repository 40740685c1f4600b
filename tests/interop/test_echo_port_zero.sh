#!/usr/bin/env bash
# sockit echo --port 0: TCP and UDP share the one free port the kernel picked (one loop and two),
# the listening lines (stderr, and --json on stdout) say which, and both protocols answer there.
. "$SOCKIT_TEST_LIB"
need socat nc timeout python3

for threads in 1 2; do
  bg "$SOCKIT" --json echo --port 0 --threads "$threads" >"$TMP/out.$threads" 2>"$TMP/err.$threads"
  listening_port tcp "$TMP/err.$threads" tcp echo
  listening_port udp "$TMP/err.$threads" udp echo
  [ "$tcp" != 0 ] || { fail "threads $threads: tcp listening on port 0: $(cat "$TMP/err.$threads")"; continue; }
  # The --json listening objects (one per socket) say the same.
  for _ in $(seq 50); do [ "$(wc -l <"$TMP/out.$threads")" -ge 4 ] && break; sleep 0.1; done
  json=$(python3 -c 'import json,sys; print(" ".join(d["proto"] + ":" + d["address"].rsplit(":", 1)[1]
                     for d in map(json.loads, open(sys.argv[1])) if d.get("event") == "listening"))' "$TMP/out.$threads")
  expect_eq "$json" "tcp:$tcp tcp:$tcp udp:$udp udp:$udp" "threads $threads: --json listening objects (127.0.0.1 and ::1)"
  expect_eq "$udp" "$tcp" "threads $threads: udp port follows tcp's"
  expect_eq "$(printf tcp0 | timeout 5 nc -N 127.0.0.1 "$tcp")" "tcp0" "threads $threads: tcp echo on port $tcp"
  expect_eq "$(printf udp0 | timeout 5 socat -T 2 - "UDP:127.0.0.1:$udp")" "udp0" "threads $threads: udp echo on port $udp"
done
finish
