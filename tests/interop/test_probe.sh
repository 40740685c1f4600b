#!/usr/bin/env bash
# sockit probe: open, closed and filtered ports in one run, as text and as --json, inside a test
# network namespace where an nftables rule drops SYNs to one port (so nothing leaves the machine).
# Also: the connect deadline (-w) against the same dropped port, ranges, and the exit codes.
. "$SOCKIT_TEST_LIB"
need nft timeout
make_netns
ip netns exec "$NS" nft add table inet t &&
  ip netns exec "$NS" nft add chain inet t in '{ type filter hook input priority 0; }' ||
  skip "nftables unavailable in a network namespace here"

OPEN=20001 CLOSED=20002 DROPPED=20003
ip netns exec "$NS" nft add rule inet t in tcp dport "$DROPPED" drop || die "cannot add the drop rule"
bg ip netns exec "$NS" "$SOCKIT" listen -k 127.0.0.1 "$OPEN" </dev/null >/dev/null
wait_listen "$OPEN" tcp "$NS"

# Text: one line per port, in the order given.
start=$(date +%s%N)
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -w 1 127.0.0.1 "$OPEN,$CLOSED,$DROPPED"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "probe with an open port"
expect_lines "$TMP/out" 3 "probe text"
grep -Eq "^127\.0\.0\.1 port $OPEN/tcp open \([0-9.]+ ms\)$" "$TMP/out" || fail "open line: $(cat "$TMP/out")"
grep -Eq "^127\.0\.0\.1 port $CLOSED/tcp closed \(Connection refused\)$" "$TMP/out" || fail "closed line: $(cat "$TMP/out")"
grep -Eq "^127\.0\.0\.1 port $DROPPED/tcp filtered \(no answer within 1 s\)$" "$TMP/out" || fail "filtered line: $(cat "$TMP/out")"
[ "$(sed -n 1p "$TMP/out" | cut -d' ' -f3)" = "$OPEN/tcp" ] || fail "results not in the order given"
[ "$elapsed" -ge 900 ] && [ "$elapsed" -lt 3000 ] || fail "probe -w 1 took ${elapsed} ms"
[ -s "$TMP/err" ] && fail "probe wrote to stderr: $(cat "$TMP/err")"

# JSON: one object per line with the documented keys.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" --json probe -w 0.5 127.0.0.1 "$OPEN,$CLOSED,$DROPPED"
expect_rc 0 "probe --json"
expect_lines "$TMP/out" 3 "probe --json"
expect_match "$TMP/out" "^\{\"host\":\"127\.0\.0\.1\",\"address\":\"127\.0\.0\.1\",\"port\":$OPEN,\"state\":\"open\",\"rtt_ms\":[0-9.e-]+,\"error\":null,\"protocol\":\"tcp\"\}$" \
  "json open"
expect_match "$TMP/out" "^\{\"host\":\"127\.0\.0\.1\",\"address\":\"127\.0\.0\.1\",\"port\":$CLOSED,\"state\":\"closed\",\"rtt_ms\":[0-9.e-]+,\"error\":\"ECONNREFUSED\",\"protocol\":\"tcp\"\}$" \
  "json closed"
expect_match "$TMP/out" "^\{\"host\":\"127\.0\.0\.1\",\"address\":\"127\.0\.0\.1\",\"port\":$DROPPED,\"state\":\"filtered\",\"rtt_ms\":null,\"error\":\"ETIMEDOUT\",\"protocol\":\"tcp\"\}$" \
  "json filtered"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/out" || fail "probe --json is not JSON"
fi

# A range, many connects in flight (-c 8 over 200 ports): exactly one open, the rest closed.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -c 8 -w 2 127.0.0.1 "$((OPEN - 100))-$((OPEN + 1)),$((OPEN + 3))-$((OPEN + 100))"
expect_rc 0 "probe range"
expect_lines "$TMP/out" 200 "probe range"
[ "$(grep -c ' open ' "$TMP/out")" -eq 1 ] || fail "probe range: expected one open port"
[ "$(grep -c ' closed ' "$TMP/out")" -eq 199 ] || fail "probe range: expected 199 closed ports"

# No open port: exit 1 (as nc -z), still no stderr noise.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -w 0.3 127.0.0.1 "$CLOSED,$DROPPED"
expect_rc 1 "probe without an open port"
expect_lines "$TMP/out" 2 "probe without an open port"

# --open: the open ports only (as nmap --open), in text and JSON; none open prints nothing, exit 1.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe --open -w 0.3 127.0.0.1 "$CLOSED,$OPEN,$DROPPED"
expect_rc 0 "probe --open"
expect_lines "$TMP/out" 1 "probe --open"
expect_match "$TMP/out" "^127\.0\.0\.1 port $OPEN/tcp open " "probe --open"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" --json probe --open -w 0.3 127.0.0.1 "$CLOSED,$OPEN"
expect_lines "$TMP/out" 1 "probe --open --json"
expect_contains "$TMP/out" "\"port\":$OPEN,\"state\":\"open\"" "probe --open --json"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe --open -w 0.3 127.0.0.1 "$CLOSED"
expect_rc 1 "probe --open without an open port"
expect_lines "$TMP/out" 0 "probe --open without an open port"

# A soft limit of 16 descriptors: the connects in flight fit what is free (it used to start 16 and
# report the ports that found no descriptor as errors).
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" bash -c "ulimit -n 16 && exec \"\$0\" -v probe -w 2 127.0.0.1 21000-21199,$OPEN" "$SOCKIT"
expect_rc 0 "probe under ulimit -n 16"
expect_lines "$TMP/out" 201 "probe under ulimit -n 16"
expect_eq "$(grep -c ' closed ' "$TMP/out")" 200 "closed ports under ulimit -n 16 ($(grep -v ' closed ' "$TMP/out" | head -3))"
grep -Eq "^127\.0\.0\.1 port $OPEN/tcp open " "$TMP/out" || fail "the open port under ulimit -n 16: $(tail -2 "$TMP/out")"

# The connect deadline: -w 0.5 against the dropped port gives up in about 0.5 s, one line, exit 1.
start=$(date +%s%N)
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" connect -w 0.5 127.0.0.1 "$DROPPED"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1 "connect -w 0.5 to a dropped port"
expect_lines "$TMP/err" 1 "connect timeout"
expect_contains "$TMP/err" "^sockit: connect 127.0.0.1:$DROPPED: Connection timed out (ETIMEDOUT)$" "connect timeout"
[ "$elapsed" -ge 450 ] && [ "$elapsed" -lt 2500 ] || fail "connect -w 0.5 took ${elapsed} ms"

# Ctrl+C mid-scan: the scan stops at once and prints what it knows, the ports held back behind
# the still silent one included; one line says how many were left; the usual exit status.
bg ip netns exec "$NS" "$SOCKIT" probe -w 10 127.0.0.1 "$DROPPED,$CLOSED,$OPEN" >"$TMP/int.out" 2>"$TMP/int.err"
ipid=$BG_PID
wait_signal_taken "$ipid" || fail "probe never took SIGINT over"
sleep 0.5
signal_wait INT "$ipid"
expect_rc 0 "probe interrupted with an open port found"
[ "$ELAPSED_MS" -lt 2000 ] || fail "probe took ${ELAPSED_MS} ms to stop after SIGINT"
expect_lines "$TMP/int.out" 2 "probe interrupted: the two ports it knows"
expect_contains "$TMP/int.out" "^127\.0\.0\.1 port $CLOSED/tcp closed" "probe interrupted: the closed port"
expect_contains "$TMP/int.out" "^127\.0\.0\.1 port $OPEN/tcp open" "probe interrupted: the open port"
expect_contains "$TMP/int.err" "^sockit: interrupted: 1 of 3 port(s) not probed$" "probe interrupted: says what was left"

finish
