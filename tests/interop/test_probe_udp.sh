#!/usr/bin/env bash
# sockit probe -u, as nmap -sU reports UDP ports, inside a test network namespace: open (sockit
# echo answers), closed (ICMP port unreachable), open|filtered (a listener that never answers, and
# a port whose datagrams nftables drops), filtered (nftables answers administratively prohibited, host
# unreachable or network unreachable: the last two only reach a socket with IP_RECVERR); the
# retransmission (--retries), the -w budget, a range with many ports in flight, --open, --json,
# localhost's two addresses, and the exit codes.
. "$SOCKIT_TEST_LIB"
need nft timeout python3
make_netns
ip netns exec "$NS" nft add table inet t && ip netns exec "$NS" nft add chain inet t in '{ type filter hook input priority 0; }' ||
  skip "nftables unavailable in a network namespace here"

OPEN=20001 CLOSED=20002 SILENT=20003 DROPPED=20004 REJECTED=20005 HOSTUNR=20006 NETUNR=20007
ip netns exec "$NS" nft add rule inet t in udp dport "$DROPPED" drop || die "cannot add the drop rule"
ip netns exec "$NS" nft add rule inet t in udp dport "$REJECTED" reject with icmpx type admin-prohibited ||
  die "cannot add the reject rule"
ip netns exec "$NS" nft add rule inet t in udp dport "$HOSTUNR" reject with icmpx type host-unreachable &&
  ip netns exec "$NS" nft add rule inet t in udp dport "$NETUNR" reject with icmpx type no-route ||
  die "cannot add the unreachable rules"
bg ip netns exec "$NS" "$SOCKIT" echo --udp -b 127.0.0.1 -p "$OPEN" >/dev/null 2>"$TMP/echo.err"
wait_listen "$OPEN" udp "$NS"
bg ip netns exec "$NS" "$SOCKIT" --json udp recv "127.0.0.1:$SILENT" >"$TMP/silent.out" 2>"$TMP/silent.err"
wait_listen "$SILENT" udp "$NS"

# Text: one line per port in the order given; the silent ones cost the -w budget, no more.
start=$(date +%s%N)
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u -w 1 127.0.0.1 "$OPEN,$CLOSED,$SILENT,$DROPPED,$REJECTED"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "probe -u with an open port"
expect_lines "$TMP/out" 5 "probe -u text"
expect_match "$TMP/out" "^127\.0\.0\.1 port $OPEN/udp open \([0-9.]+ ms\)$" "open line"
expect_match "$TMP/out" "^127\.0\.0\.1 port $CLOSED/udp closed \(Connection refused\)$" "closed line"
expect_match "$TMP/out" "^127\.0\.0\.1 port $SILENT/udp open\|filtered \(no answer within 1 s, 2 datagrams\)$" "silent line"
expect_match "$TMP/out" "^127\.0\.0\.1 port $DROPPED/udp open\|filtered \(no answer within 1 s, 2 datagrams\)$" "dropped line"
expect_match "$TMP/out" "^127\.0\.0\.1 port $REJECTED/udp filtered \(No route to host\)$" "rejected line"
[ "$(sed -n 1p "$TMP/out" | cut -d' ' -f3)" = "$OPEN/udp" ] || fail "results not in the order given"
# Host and network unreachable: filtered, as nmap (without IP_RECVERR a connected UDP socket never
# hears of them, and these showed as open|filtered).
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u -w 1 127.0.0.1 "$HOSTUNR,$NETUNR"
expect_rc 1 "probe -u, both unreachable"
expect_match "$TMP/out" "^127\.0\.0\.1 port $HOSTUNR/udp filtered \(No route to host\)$" "host unreachable line"
expect_match "$TMP/out" "^127\.0\.0\.1 port $NETUNR/udp filtered \(Network is unreachable\)$" "network unreachable line"
[ "$elapsed" -ge 900 ] && [ "$elapsed" -lt 3000 ] || fail "probe -u -w 1 took ${elapsed} ms"
[ -s "$TMP/err" ] && fail "probe -u wrote to stderr: $(cat "$TMP/err")"
# The silent listener got the first datagram and one retransmission, both empty.
for _ in $(seq 100); do [ "$(wc -l <"$TMP/silent.out")" -ge 2 ] && break; sleep 0.1; done
expect_lines "$TMP/silent.out" 2 "datagrams at the silent port (one retry)"
expect_contains "$TMP/silent.out" '"size":0' "the probe datagram is empty"

# --retries 3: four datagrams within the same -w budget.
: >"$TMP/silent.out"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u --retries 3 -w 0.8 127.0.0.1 "$SILENT"
expect_rc 0 "probe -u --retries 3 (open|filtered counts, as nc -zu)"
expect_contains "$TMP/out" "4 datagrams" "--retries 3 text"
for _ in $(seq 100); do [ "$(wc -l <"$TMP/silent.out")" -ge 4 ] && break; sleep 0.1; done
expect_lines "$TMP/silent.out" 4 "datagrams at the silent port (three retries)"

# --open: open and open|filtered only, as nmap --open.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u --open -w 0.5 127.0.0.1 "$OPEN,$CLOSED,$SILENT,$REJECTED"
expect_rc 0 "probe -u --open"
expect_lines "$TMP/out" 2 "probe -u --open"
expect_match "$TMP/out" "port $OPEN/udp open " "--open keeps open"
expect_match "$TMP/out" "port $SILENT/udp open\|filtered " "--open keeps open|filtered"

# JSON: the TCP object's keys plus "protocol".
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" --json probe -u -w 0.5 127.0.0.1 "$OPEN,$CLOSED,$SILENT"
expect_rc 0 "probe -u --json"
expect_lines "$TMP/out" 3 "probe -u --json"
expect_match "$TMP/out" "^\{\"host\":\"127\.0\.0\.1\",\"address\":\"127\.0\.0\.1\",\"port\":$OPEN,\"state\":\"open\",\"rtt_ms\":[0-9.e-]+,\"error\":null,\"protocol\":\"udp\"\}$" \
  "json open"
expect_match "$TMP/out" "^\{\"host\":\"127\.0\.0\.1\",\"address\":\"127\.0\.0\.1\",\"port\":$CLOSED,\"state\":\"closed\",\"rtt_ms\":[0-9.e-]+,\"error\":\"ECONNREFUSED\",\"protocol\":\"udp\"\}$" \
  "json closed"
expect_match "$TMP/out" "^\{\"host\":\"127\.0\.0\.1\",\"address\":\"127\.0\.0\.1\",\"port\":$SILENT,\"state\":\"open\|filtered\",\"rtt_ms\":null,\"error\":\"ETIMEDOUT\",\"protocol\":\"udp\"\}$" \
  "json open|filtered"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/out" || fail "probe -u --json is not JSON"

# A range, many datagrams in flight (-c 8 over 200 ports): one open, the rest closed, quickly
# (loopback's ICMP errors are not rate limited).
start=$(date +%s%N)
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u -c 8 -w 2 127.0.0.1 "$((OPEN - 199))-$OPEN"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "probe -u range"
expect_lines "$TMP/out" 200 "probe -u range"
[ "$(grep -c ' open ' "$TMP/out")" -eq 1 ] || fail "probe -u range: expected one open port: $(grep -v closed "$TMP/out")"
[ "$(grep -c ' closed ' "$TMP/out")" -eq 199 ] || fail "probe -u range: expected 199 closed ports"
[ "$elapsed" -lt 2000 ] || fail "probe -u over 200 closed ports took ${elapsed} ms"
# The same with -c 100 under a soft limit of 12 descriptors: none is reported as an error.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" bash -c "ulimit -n 12 && exec \"\$0\" probe -u -c 100 -w 2 127.0.0.1 $((OPEN - 49))-$OPEN" "$SOCKIT"
expect_rc 0 "probe -u under ulimit -n 12"
expect_eq "$(grep -c ' closed ' "$TMP/out")" 49 "closed ports under ulimit -n 12 ($(grep -v ' closed ' "$TMP/out" | head -3))"
grep -Eq "^127\.0\.0\.1 port $OPEN/udp open " "$TMP/out" || fail "the open port under ulimit -n 12: $(tail -2 "$TMP/out")"

# localhost: ::1 refuses (the echo is on 127.0.0.1 only), then 127.0.0.1 answers.
if ip netns exec "$NS" "$SOCKIT" probe -u -w 0.3 ::1 "$CLOSED" >/dev/null 2>&1 || [ $? -eq 1 ]; then
  run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u -w 1 localhost "$OPEN"
  expect_rc 0 "probe -u localhost"
  expect_match "$TMP/out" "^127\.0\.0\.1 port $OPEN/udp open " "localhost falls back to 127.0.0.1"
fi

# Nothing open, nothing silent: exit 1. --retries without -u: usage error.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u -w 0.3 127.0.0.1 "$CLOSED,$REJECTED"
expect_rc 1 "probe -u without an open port"
expect_lines "$TMP/out" 2 "probe -u without an open port"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe --retries 2 127.0.0.1 "$OPEN"
expect_rc 2 "--retries without -u"
expect_contains "$TMP/err" "^sockit: --retries applies to -u/--udp only$" "--retries without -u"
# Names are looked up for UDP with -u: bootps is 67/udp only.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -u -w 0.3 127.0.0.1 bootps
expect_match "$TMP/out" "^127\.0\.0\.1 port 67/udp closed " "probe -u bootps"

finish
