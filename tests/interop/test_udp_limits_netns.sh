#!/usr/bin/env bash
# The kernel's EMSGSIZE as one clear line: in a test namespace whose lo has MTU 1500, `udp send
# --dont-fragment` of 1473 bytes (above 1500 - 28) fails with the size and the limit named, 1472
# bytes go through, and without --dont-fragment the 2000 bytes are fragmented and arrive whole.
# The same over IPv6 (limit 1500 - 48). Through a router to a 1280-byte link, the router's ICMP
# "fragmentation needed" ends the wait with the same line. Also with --broadcast on a LAN host whose
# eth0 has MTU 1400.
. "$SOCKIT_TEST_LIB"
make_netns
ip -n "$NS" link set lo mtu 1500 || die "lo mtu 1500 in $NS"
IN=(ip netns exec "$NS" "$SOCKIT")

bg "${IN[@]}" --json udp recv --count 2 --wait 10 127.0.0.1:0 >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port U "$TMP/recv.err" udp
head -c 1473 /dev/zero >"$TMP/1473"
run "$TMP/out" "$TMP/err" -- "${IN[@]}" udp send --dont-fragment -w 0.3 "127.0.0.1:$U" <"$TMP/1473"
expect_rc 1 "--dont-fragment, 1473 bytes over MTU 1500"
expect_eq "$(cat "$TMP/err")" "sockit: udp 127.0.0.1:$U: datagram of 1473 bytes is larger than the path allows: MTU 1500 leaves at most 1472 bytes per datagram, and --dont-fragment forbids fragments (EMSGSIZE)" "EMSGSIZE line"
head -c 1472 /dev/zero | "${IN[@]}" udp send --dont-fragment -w 0.2 "127.0.0.1:$U" >/dev/null 2>&1
head -c 2000 /dev/zero | "${IN[@]}" udp send -w 0.2 "127.0.0.1:$U" >/dev/null 2>&1
for _ in $(seq 50); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "receiver of the 1472 and 2000-byte datagrams"
expect_match "$TMP/recv" '"size":1472,' "1472 bytes with --dont-fragment arrived"
expect_match "$TMP/recv" '"size":2000,' "2000 bytes without --dont-fragment arrived (fragmented)"

if ip -n "$NS" -6 addr show dev lo | grep -q '::1'; then
  head -c 1453 /dev/zero >"$TMP/1453"
  run "$TMP/out" "$TMP/err" -- "${IN[@]}" udp send --dont-fragment -w 0.3 "[::1]:9" <"$TMP/1453"
  expect_rc 1 "--dont-fragment, 1453 bytes over IPv6 MTU 1500"
  expect_eq "$(cat "$TMP/err")" "sockit: udp [::1]:9: datagram of 1453 bytes is larger than the path allows: MTU 1500 leaves at most 1452 bytes per datagram, and --dont-fragment forbids fragments (EMSGSIZE)" "IPv6 EMSGSIZE line"
else
  echo "note: no ::1 in the test namespace; the IPv6 case is left out"
fi

# A smaller MTU further on: H1 -(1500)- R -(1280)- H2, all test namespaces, R forwarding (its
# own sysctl). The first send leaves H1 whole; R answers "fragmentation needed", and the wait for
# the reply ends with the line, naming the MTU the kernel learnt (IP_MTU).
make_netns; H1=$NS
make_netns; R=$NS
make_netns; H2=$NS
ip -n "$H1" link add eth0 type veth peer name r1 netns "$R" || skip "cannot create a veth pair here (ip link add type veth failed)"
ip -n "$H2" link add eth0 type veth peer name r2 netns "$R" || die "veth H2-R"
ip -n "$H1" addr add 10.77.1.1/24 dev eth0 && ip -n "$R" addr add 10.77.1.254/24 dev r1 \
  && ip -n "$R" addr add 10.77.2.254/24 dev r2 && ip -n "$H2" addr add 10.77.2.1/24 dev eth0 || die "addresses"
ip -n "$R" link set r2 mtu 1280 && ip -n "$H2" link set eth0 mtu 1280 || die "mtu 1280"
for l in "$H1 eth0" "$R r1" "$R r2" "$H2 eth0"; do set -- $l; ip -n "$1" link set "$2" up || die "$2 up in $1"; done
ip -n "$H1" route add default via 10.77.1.254 && ip -n "$H2" route add default via 10.77.2.254 || die "routes"
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 || die "forwarding in $R"
bg ip netns exec "$H2" "$SOCKIT" echo -u -b 0.0.0.0 -p 0 >/dev/null 2>"$TMP/h2.err"
listening_port E "$TMP/h2.err" udp echo
ok=""
for _ in $(seq 30); do  # the path is up once a small datagram is echoed
  ip netns exec "$H1" "$SOCKIT" udp send -w 0.2 "10.77.2.1:$E" up >/dev/null 2>&1 && { ok=1; break; }
done
[ -n "$ok" ] || die "no echo from 10.77.2.1 through the router"
head -c 1400 /dev/zero >"$TMP/1400"
run "$TMP/out" "$TMP/err" -- ip netns exec "$H1" "$SOCKIT" udp send --dont-fragment -w 2 "10.77.2.1:$E" <"$TMP/1400"
expect_rc 1 "--dont-fragment, 1400 bytes through a 1280 link"
expect_eq "$(cat "$TMP/err")" "sockit: udp 10.77.2.1:$E: datagram of 1400 bytes is larger than the path allows: MTU 1280 leaves at most 1252 bytes per datagram, and --dont-fragment forbids fragments (EMSGSIZE)" "EMSGSIZE line from the router's ICMP"
# Without --dont-fragment the router fragments it and the echo comes back whole.
run "$TMP/out" "$TMP/err" -- ip netns exec "$H1" "$SOCKIT" udp send -w 2 "10.77.2.1:$E" <"$TMP/1400"
expect_rc 0 "1400 bytes through a 1280 link, fragmented"
expect_eq "$(wc -c <"$TMP/out")" 1400 "the fragmented datagram's echo"

# --broadcast: no connected path, so the limit is --iface's MTU (here eth0's, 1400).
make_lan
ip -n "$LAN_A" link set eth0 mtu 1400 || die "eth0 mtu 1400 in $LAN_A"
head -c 1373 /dev/zero >"$TMP/1373"
run "$TMP/out" "$TMP/err" -- ip netns exec "$LAN_A" "$SOCKIT" udp send --broadcast --iface eth0 --dont-fragment -w 0.2 10.77.9.255:9 <"$TMP/1373"
expect_rc 1 "--broadcast --dont-fragment, 1373 bytes over MTU 1400"
expect_eq "$(cat "$TMP/err")" "sockit: udp broadcast 10.77.9.255:9: datagram of 1373 bytes is larger than the path allows: MTU 1400 leaves at most 1372 bytes per datagram, and --dont-fragment forbids fragments (EMSGSIZE)" "broadcast EMSGSIZE line"
finish
