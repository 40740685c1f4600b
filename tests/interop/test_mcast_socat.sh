#!/usr/bin/env bash
# Interop with socat, both directions, IPv4 and IPv6, between separate hosts (make_lan, namespaces
# of this test; fixed ports, each namespace has its own): socat sends to a group that
# `sockit mcast recv` joined, and `sockit mcast send` reaches a socat that joined the group (and a
# sockit receiver sharing socat's port 5353).
. "$SOCKIT_TEST_LIB"
need socat
make_lan
. "$(dirname "$SOCKIT_TEST_LIB")/mcast_lib.sh"

# socat_recv NAME PORT ADDRESS-OPTIONS: a socat member on B, printing what it receives to
# $TMP/NAME.out; waits until its socket is bound (it joins before it binds).
socat_recv() {
  bg ip netns exec "$LAN_B" timeout 15 socat -u "$3" - >"$TMP/$1.out" 2>"$TMP/$1.err"
  printf -v "$1" '%s' "$BG_PID"
  wait_listen "$2" udp "$LAN_B"
}

# IPv4: socat -> sockit.
mrecv "$LAN_B" RB --count 1 --timeout 5 239.77.9.20:5200
echo socat-v4 | ip netns exec "$LAN_A" timeout 5 socat -u - UDP4-DATAGRAM:239.77.9.20:5200,ip-multicast-if=10.77.9.1 \
  || fail "socat send to 239.77.9.20:5200"
finished "$RB" "sockit receiver of socat (IPv4)" 0
expect_match "$TMP/RB.out" '^10\.77\.9\.1:[0-9]+ \([0-9]+ bytes\): socat-v4$' "sockit heard socat (IPv4)"

# IPv4: sockit -> socat, on the chapter's group and port. socat holds 5353 on the wildcard (as an
# mDNS daemon would, with SO_REUSEADDR); `sockit mcast recv` shares the port and both hear it.
socat_recv S4 5353 UDP4-RECV:5353,ip-add-membership=239.255.255.250:eth0,reuseaddr
mrecv "$LAN_B" RB --count 1 --timeout 5 239.255.255.250:5353
msend "$LAN_A" 239.255.255.250:5353 sockit-v4
wait_nonempty "$TMP/S4.out"
expect_eq "$(cat "$TMP/S4.out")" "sockit-v4" "socat heard sockit (IPv4)"
finished "$RB" "sockit receiver sharing port 5353 with socat" 0
expect_match "$TMP/RB.out" '^10\.77\.9\.1:[0-9]+ \([0-9]+ bytes\): sockit-v4$' "sockit receiver sharing port 5353"

# IPv6: socat -> sockit.
mrecv "$LAN_B" RB --count 1 --timeout 5 "[ff0e::77:9:20]:5202"
echo socat-v6 | ip netns exec "$LAN_A" timeout 5 socat -u - "UDP6-DATAGRAM:[ff0e::77:9:20]:5202" \
  || fail "socat send to [ff0e::77:9:20]:5202"
finished "$RB" "sockit receiver of socat (IPv6)" 0
expect_match "$TMP/RB.out" '^\[fd77:9::1\]:[0-9]+ \([0-9]+ bytes\): socat-v6$' "sockit heard socat (IPv6)"

# IPv6: sockit -> socat.
socat_recv S6 5203 "UDP6-RECV:5203,ipv6-join-group=[ff0e::77:9:20]:eth0,reuseaddr"
msend "$LAN_A" "[ff0e::77:9:20]:5203" sockit-v6
wait_nonempty "$TMP/S6.out"
expect_eq "$(cat "$TMP/S6.out")" "sockit-v6" "socat heard sockit (IPv6)"
finish
