#!/usr/bin/env bash
# sockit bench spreads its connections over source addresses 127.0.0.x when one source runs out of
# ephemeral ports (connect fails with EADDRNOTAVAIL). In a namespace of our own whose
# ip_local_port_range holds only 100 ports, 250 connections need at least three sources and must
# all connect, without a single error.
. "$SOCKIT_TEST_LIB"
need ss
make_netns
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="40000 40099" || skip "cannot set ip_local_port_range in a namespace"

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

bg ip netns exec "$NS" "$SOCKIT" echo --tcp --port 0 >"$TMP/echo.out" 2>"$TMP/echo.err"
listening_port P "$TMP/echo.err" tcp echo
bg ip netns exec "$NS" "$SOCKIT" --json bench "127.0.0.1:$P" -c 250 -t 2 --warmup 0.5 >"$TMP/out" 2>"$TMP/err"
BENCH=$BG_PID
>"$TMP/sources"
# Sampled while bench runs (up to 30 s: 250 connections take a while to open on a loaded machine);
# the widest sample is kept.
for _ in $(seq 300); do
  sleep 0.1
  ip netns exec "$NS" ss -tnH state established "dport = :$P" | awk '{split($3, a, ":"); print a[1]}' | sort -u >"$TMP/sources.now"
  [ "$(wc -l <"$TMP/sources.now")" -ge "$(wc -l <"$TMP/sources")" ] && cp "$TMP/sources.now" "$TMP/sources"
  [ "$(wc -l <"$TMP/sources")" -ge 3 ] && break
  kill -0 "$BENCH" 2>/dev/null || break
done
wait "$BENCH"; RC=$?
expect_rc 0 "bench -c 250 with 100 ephemeral ports per source"
expect_eq "$(json_num "$TMP/out" connected)" 250 "connections open"
expect_eq "$(json_num "$TMP/out" errors)" 0 "errors"
sources=$(json_num "$TMP/out" sources)
[ "${sources:-0}" -ge 3 ] || fail "bench used ${sources:-?} source address(es); 250 connections over 100 ports need 3: $(cat "$TMP/out" "$TMP/err")"
seen=$(wc -l <"$TMP/sources")
echo "bench: $sources sources reported, $seen seen by ss: $(tr '\n' ' ' <"$TMP/sources")"
[ "$seen" -ge 3 ] || fail "ss saw connections from only $seen source address(es)"
grep -qv '^127\.0\.0\.' "$TMP/sources" && fail "a source outside 127.0.0.x: $(cat "$TMP/sources")"
finish
