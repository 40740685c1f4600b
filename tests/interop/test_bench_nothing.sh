#!/usr/bin/env bash
# A bench run that measured nothing is a failure: against sockit serve's discard service (TCP and
# UDP), and against an nc listener that never writes back, bench exits 1 with one line on stderr
# saying why, and --json still prints its one object with first_error set.
. "$SOCKIT_TEST_LIB"
need nc

P=$(free_port)
bg "$SOCKIT" serve --services discard --discard-port "$P"
wait_listen "$P"
wait_listen "$P" udp

run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" -t 0.5 --warmup 0
expect_rc 1 "bench against a TCP discard service"
expect_lines "$TMP/err" 1 "bench against a TCP discard: one error line"
expect_contains "$TMP/err" "nothing measured: 127.0.0.1:$P echoed nothing back" "bench against a TCP discard says why"

run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" -c 2 -d 4 -t 0.5 --warmup 0
expect_rc 1 "bench --json against a TCP discard service"
expect_lines "$TMP/out" 1 "bench --json against a discard: still one object"
expect_contains "$TMP/out" '"messages":0,' "bench --json against a discard: no messages"
expect_contains "$TMP/out" '"first_error":"nothing measured' "bench --json against a discard: first_error says why"
expect_contains "$TMP/out" '"latency_us":{"p50":null,"p90":null,"p99":null,"p999":null,"max":null}' \
  "bench --json against a discard: no latency measured is null, not 0"
expect_lines "$TMP/err" 1 "bench --json against a TCP discard: one error line"

run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --udp -c 2 -d 4 -t 0.5 --warmup 0
expect_rc 1 "bench --udp against a UDP discard service (every datagram lost)"
expect_lines "$TMP/err" 1 "bench --udp against a UDP discard: one error line"
expect_contains "$TMP/err" "nothing measured: no datagram sent to 127.0.0.1:$P came back" "bench --udp against a discard says why"

# Long enough for datagrams to be counted lost (1 s): still the one line, no loss warning besides.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" --udp -c 2 -d 4 -t 1.5 --warmup 0
expect_rc 1 "bench --udp --json against a UDP discard for 1.5 s"
lost=$(sed -n 's/.*"udp_lost":\([0-9]*\).*/\1/p' "$TMP/out")
[ "${lost:-0}" -gt 0 ] || fail "bench --udp against a discard for 1.5 s counted no loss: $(cat "$TMP/out")"
expect_lines "$TMP/err" 1 "bench --udp --json against a UDP discard: one line, not a loss warning too"

# A listener that reads and never writes.
Q=$(free_port)
bg nc -l 127.0.0.1 "$Q" >/dev/null </dev/null
wait_listen "$Q"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$Q" -t 0.5 --warmup 0.2
expect_rc 1 "bench against nc -l that never echoes"
expect_lines "$TMP/err" 1 "bench against nc -l: one error line"
grep -Eq "echoed nothing back in (0\.[6-9]|1\.[0-9]) s" "$TMP/err" || fail "bench against nc -l says why: $(cat "$TMP/err")"

# --count against a UDP server that answers nothing: given up after three loss timeouts (3 s), not
# after one timeout per datagram in flight (-n 1000 at -c 1 -d 1 was 1000 s), and the line gives
# the time the run really took.
t0=$(date +%s%N)
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --udp -n 1000 -c 1 -d 1
took=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_rc 1 "bench --udp -n 1000 against a discard"
[ "$took" -lt 8000 ] || fail "bench --udp -n 1000 against a discard took $took ms"
grep -Eq "came back in [3-7]\.[0-9] s" "$TMP/err" || fail "bench --udp -n 1000: $(cat "$TMP/err")"

finish
