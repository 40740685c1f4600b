#!/usr/bin/env bash
# sockit ping between two test namespaces (A 10.61.0.1 / fd61::1, B .2 / ::2 on one veth pair):
# a host answering (v4, v6); an unowned address on the subnet (Destination Host Unreachable,
# exit 1); no route (one error line, exit 2); a host that drops echo requests (100% loss, exit 1,
# no hang); icmp_echo_ignore_all=1 inside a namespace (0 received, exit 1); iputils ping to the same
# target at the same time (neither count disturbed); `nft dup` of each reply ((DUP!), counted once);
# the unprivileged ICMP datagram socket as user 65534 with ping_group_range widened in the
# namespace, and the one-line refusal when neither socket is allowed.
. "$SOCKIT_TEST_LIB"
need ping nft setpriv
make_netns; A=$NS
make_netns; B=$NS
ip -n "$A" link add a0 type veth peer name b0 netns "$B" || skip "cannot create a veth pair here"
ip -n "$A" addr add 10.61.0.1/24 dev a0 && ip -n "$A" -6 addr add fd61::1/64 dev a0 nodad || die "addresses in A"
ip -n "$B" addr add 10.61.0.2/24 dev b0 && ip -n "$B" -6 addr add fd61::2/64 dev b0 nodad || die "addresses in B"
ip -n "$A" link set a0 up && ip -n "$B" link set b0 up || die "links up"
for _ in $(seq 50); do
  ip -n "$A" -o link show a0 | grep -q 'state UP' && ip -n "$B" -o link show b0 | grep -q 'state UP' && break
  sleep 0.1
done
INA=(ip netns exec "$A")
INB=(ip netns exec "$B")
inB() { ip netns exec "$B" "$@"; }
inA() { ip netns exec "$A" "$@"; }

# A host inside a test namespace, v4 and v6.
run "$TMP/out" "$TMP/err" -- "${INA[@]}" "$SOCKIT" ping -c 3 -i 0.2 10.61.0.2
expect_rc 0 "ping B (v4)"
expect_contains "$TMP/out" "3 packets transmitted, 3 received, 0% packet loss" "ping B (v4)"
expect_match "$TMP/out" '^64 bytes from 10.61.0.2: icmp_seq=3 ttl=64 time=[0-9.]+ ms$' "ping B (v4) reply line"
run "$TMP/out" "$TMP/err" -- "${INA[@]}" "$SOCKIT" ping -6 -c 3 -i 0.2 fd61::2
expect_rc 0 "ping B (v6)"
expect_contains "$TMP/out" "3 packets transmitted, 3 received, 0% packet loss" "ping B (v6)"

# An unanswered neighbour lookup (from now on) gives up after one 200 ms probe, not three seconds.
ip netns exec "$A" sysctl -qw net.ipv4.neigh.a0.mcast_solicit=1 net.ipv4.neigh.a0.retrans_time_ms=200 \
  net.ipv6.neigh.a0.mcast_solicit=1 net.ipv6.neigh.a0.retrans_time_ms=200

# An address on the subnet that nobody owns: the neighbour lookup fails, the kernel reports
# Destination Host Unreachable from our own address, exit 1 (as iputils, compared in the same run).
run "$TMP/out" "$TMP/err" -- "${INA[@]}" "$SOCKIT" ping -c 2 -i 0.5 -W 2 10.61.0.9
expect_rc 1 "unowned address"
expect_match "$TMP/out" '^From 10.61.0.1 icmp_seq=[12] Destination Host Unreachable$' "unowned address"
expect_match "$TMP/out" '^2 packets transmitted, 0 received, \+[12] errors, 100% packet loss, time [0-9]+ms$' "unowned address stats"
timeout 20 ip netns exec "$A" ping -c 2 -i 0.5 -W 2 10.61.0.9 >"$TMP/iputils" 2>&1
expect_eq "$?" 1 "iputils ping to the unowned address (same exit status)"

# No route at all: one error line, exit 2, nothing on stdout.
run "$TMP/out" "$TMP/err" -- "${INA[@]}" "$SOCKIT" ping -c 2 10.99.0.1
expect_rc 2 "no route"
expect_lines "$TMP/err" 1 "no route"
expect_contains "$TMP/err" "Network is unreachable (ENETUNREACH)" "no route"
[ -s "$TMP/out" ] && fail "no route: stdout: $(cat "$TMP/out")"
timeout 20 ip netns exec "$A" ping -c 2 10.99.0.1 >/dev/null 2>&1
expect_eq "$?" 2 "iputils ping with no route (same exit status)"

# B drops echo requests: 100% loss and exit 1 within -W, no hang.
inB nft add table inet pingtest
inB nft add chain inet pingtest in '{ type filter hook input priority 0; }'
inB nft add rule inet pingtest in icmp type echo-request drop
started=$(date +%s%N)
run "$TMP/out" "$TMP/err" -- "${INA[@]}" "$SOCKIT" ping -c 2 -i 0.2 -W 1 10.61.0.2
took=$(( ($(date +%s%N) - started) / 1000000 ))
expect_rc 1 "dropped requests"
expect_contains "$TMP/out" "2 packets transmitted, 0 received, 100% packet loss" "dropped requests"
[ "$took" -lt 5000 ] || fail "dropped requests: took ${took} ms (-W 1)"
inB nft delete table inet pingtest

# icmp_echo_ignore_all=1 in B only: a loopback ping inside B gets nothing back.
inB sysctl -qw net.ipv4.icmp_echo_ignore_all=1
# The raw socket unfiltered (a hidden test option) is handed our own requests too: not replies.
for sock in raw raw-unfiltered; do
  run "$TMP/out" "$TMP/err" -- "${INB[@]}" "$SOCKIT" ping --socket "$sock" -c 2 -i 0.2 -W 1 127.0.0.1
  expect_rc 1 "icmp_echo_ignore_all ($sock)"
  expect_contains "$TMP/out" "2 packets transmitted, 0 received, 100% packet loss" "icmp_echo_ignore_all ($sock: our request on lo is not a reply)"
done
inB sysctl -qw net.ipv4.icmp_echo_ignore_all=0

# iputils ping to the same target at the same time: each counts only its own.
ip netns exec "$A" timeout 20 ping -c 30 -i 0.05 10.61.0.2 >"$TMP/iputils" 2>&1 &
IPUTILS=$!
_PIDS+=("$IPUTILS")
run "$TMP/out" "$TMP/err" -- "${INA[@]}" "$SOCKIT" ping -c 10 -i 0.1 10.61.0.2
expect_rc 0 "alongside iputils"
expect_contains "$TMP/out" "10 packets transmitted, 10 received, 0% packet loss" "alongside iputils: our counts"
grep -q "DUP" "$TMP/out" && fail "alongside iputils: a DUP! in our output: $(cat "$TMP/out")"
[ "$(grep -c 'bytes from' "$TMP/out")" -eq 10 ] || fail "alongside iputils: reply lines: $(grep -c 'bytes from' "$TMP/out")"
wait "$IPUTILS"
expect_contains "$TMP/iputils" "30 packets transmitted, 30 received, 0% packet loss" "alongside iputils: iputils' counts"

# nft dup in B: every echo reply leaves twice; (DUP!) shown, counted once.
inB nft add table ip duptest
inB nft add chain ip duptest out '{ type filter hook output priority 0; }'
inB nft add rule ip duptest out icmp type echo-reply dup to 10.61.0.1 device b0
run "$TMP/out" "$TMP/err" -- "${INA[@]}" "$SOCKIT" ping -c 3 -i 0.3 10.61.0.2
expect_rc 0 "nft dup"
expect_match "$TMP/out" '^64 bytes from 10.61.0.2: icmp_seq=[12] ttl=64 time=[0-9.]+ ms \(DUP!\)$' "nft dup: (DUP!) line"
expect_match "$TMP/out" '^3 packets transmitted, 3 received, \+[0-9]+ duplicates, 0% packet loss' "nft dup: counted once"
inB nft delete table ip duptest

# The unprivileged path: user 65534, no capability, ping_group_range widened inside A only.
NOBODY=(ip netns exec "$A" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
inA sysctl -qw net.ipv4.ping_group_range="1 0"
run "$TMP/out" "$TMP/err" -- "${NOBODY[@]}" "$SOCKIT" ping -c 1 10.61.0.2
expect_rc 2 "no permission"
expect_lines "$TMP/err" 1 "no permission"
expect_contains "$TMP/err" "setcap cap_net_raw+ep" "no permission names the capability"
expect_contains "$TMP/err" "net.ipv4.ping_group_range" "no permission names the sysctl"
inA sysctl -qw net.ipv4.ping_group_range="0 2147483647"
run "$TMP/out" "$TMP/err" -- "${NOBODY[@]}" "$SOCKIT" --json ping -c 3 -i 0.2 10.61.0.2 fd61::2
expect_rc 0 "unprivileged"
[ "$(grep -c '"socket":"datagram"' "$TMP/out")" -eq 2 ] || fail "unprivileged: not datagram sockets: $(head -2 "$TMP/out")"
[ "$(grep -c '"event":"summary".*"transmitted":3,"received":3,' "$TMP/out")" -eq 2 ] || fail "unprivileged: $(cat "$TMP/out")"
run "$TMP/out" "$TMP/err" -- "${NOBODY[@]}" "$SOCKIT" ping -c 2 -i 0.5 -W 2 10.61.0.9
expect_rc 1 "unprivileged, unowned address"
expect_match "$TMP/out" '^From 10.61.0.1 icmp_seq=[12] Destination Host Unreachable$' "unprivileged, unowned address (error queue)"
# An IPv4-mapped address is pinged as the IPv4 host it names (inside A: ICMPv6 to it went
# nowhere, "Network is unreachable" after the header); with -6, a usage error.
run "$TMP/out" "$TMP/err" -- ip netns exec "$A" "$SOCKIT" ping -c 1 ::ffff:10.61.0.2
expect_rc 0 "an IPv4-mapped address"
expect_match "$TMP/out" '^64 bytes from 10\.61\.0\.2: icmp_seq=1 ttl=64 ' "an IPv4-mapped address, pinged over IPv4"
run "$TMP/out" "$TMP/err" -- ip netns exec "$A" "$SOCKIT" ping -6 -c 1 ::ffff:10.61.0.2
expect_rc 2 "-6 with an IPv4-mapped address"
expect_contains "$TMP/err" "an IPv4-mapped address is an IPv4 host (without -6)" "-6 with an IPv4-mapped address"
finish
