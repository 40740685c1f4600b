#!/usr/bin/env bash
# A router namespace between two hosts (H1 10.62.1.1 / fd62:1::1 - R - H2 10.62.2.1 / fd62:2::1,
# forwarding on in R only): replies cross it (ttl=63); -t 1 gets "Time to live exceeded" from the
# router's address, as iputils prints it in the same run, exit 1; the same over IPv6 and through
# the unprivileged datagram socket (the error queue names the router too).
. "$SOCKIT_TEST_LIB"
need ping setpriv
make_netns; H1=$NS
make_netns; R=$NS
make_netns; H2=$NS
ip -n "$H1" link add e0 type veth peer name r1 netns "$R" || skip "cannot create a veth pair here"
ip -n "$H2" link add e0 type veth peer name r2 netns "$R" || skip "cannot create a veth pair here"
ip -n "$H1" addr add 10.62.1.1/24 dev e0 && ip -n "$H1" -6 addr add fd62:1::1/64 dev e0 nodad || die "H1 addresses"
ip -n "$H2" addr add 10.62.2.1/24 dev e0 && ip -n "$H2" -6 addr add fd62:2::1/64 dev e0 nodad || die "H2 addresses"
ip -n "$R" addr add 10.62.1.254/24 dev r1 && ip -n "$R" -6 addr add fd62:1::fe/64 dev r1 nodad || die "R addresses"
ip -n "$R" addr add 10.62.2.254/24 dev r2 && ip -n "$R" -6 addr add fd62:2::fe/64 dev r2 nodad || die "R addresses"
for l in "$H1 e0" "$H2 e0" "$R r1" "$R r2"; do set -- $l; ip -n "$1" link set "$2" up || die "$2 up in $1"; done
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || die "forwarding in R"
ip -n "$H1" route add default via 10.62.1.254 && ip -n "$H1" -6 route add default via fd62:1::fe || die "H1 routes"
ip -n "$H2" route add default via 10.62.2.254 && ip -n "$H2" -6 route add default via fd62:2::fe || die "H2 routes"
for l in "$H1 e0" "$H2 e0" "$R r1" "$R r2"; do
  set -- $l
  for _ in $(seq 50); do ip -n "$1" -o link show "$2" | grep -q 'state UP' && break; sleep 0.1; done
done
H1X=(ip netns exec "$H1")

run "$TMP/out" "$TMP/err" -- "${H1X[@]}" "$SOCKIT" ping -c 2 -i 0.2 10.62.2.1
expect_rc 0 "through the router"
expect_match "$TMP/out" '^64 bytes from 10.62.2.1: icmp_seq=2 ttl=63 time=[0-9.]+ ms$' "through the router: ttl 63"

run "$TMP/out" "$TMP/err" -- "${H1X[@]}" "$SOCKIT" ping -c 2 -i 0.2 -t 1 10.62.2.1
expect_rc 1 "-t 1"
expect_match "$TMP/out" '^From 10.62.1.254 icmp_seq=1 Time to live exceeded$' "-t 1: the router's address"
expect_match "$TMP/out" '^2 packets transmitted, 0 received, \+2 errors, 100% packet loss' "-t 1: counts"
timeout 20 "${H1X[@]}" ping -c 2 -i 0.2 -t 1 10.62.2.1 >"$TMP/iputils" 2>&1
expect_eq "$?" 1 "iputils -t 1 exit status"
expect_eq "$(grep '^From' "$TMP/out")" "$(grep '^From' "$TMP/iputils")" "-t 1: error lines as iputils prints them"

run "$TMP/out" "$TMP/err" -- "${H1X[@]}" "$SOCKIT" ping -6 -c 2 -i 0.2 -t 1 fd62:2::1
expect_rc 1 "-6 -t 1"
expect_match "$TMP/out" '^From fd62:1::fe icmp_seq=[12] Time exceeded: Hop limit$' "-6 -t 1: the router's address"

# Unprivileged: the error arrives on the datagram socket's error queue, naming the router.
"${H1X[@]}" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
run "$TMP/out" "$TMP/err" -- "${H1X[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups "$SOCKIT" ping -c 2 -i 0.2 -t 1 10.62.2.1
expect_rc 1 "unprivileged -t 1"
expect_match "$TMP/out" '^From 10.62.1.254 icmp_seq=1 Time to live exceeded$' "unprivileged -t 1: the router's address"
run "$TMP/out" "$TMP/err" -- "${H1X[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups "$SOCKIT" ping -6 -c 2 -i 0.2 -t 1 fd62:2::1
expect_rc 1 "unprivileged -6 -t 1"
expect_match "$TMP/out" '^From fd62:1::fe icmp_seq=[12] Time exceeded: Hop limit$' "unprivileged -6 -t 1: the router's address"
finish
