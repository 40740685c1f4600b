#!/usr/bin/env bash
# The kernel's EMSGSIZE as one clear line: in a test namespace whose lo has MTU 1500, `udp send
# --dont-fragment` of 1473 bytes (above 1500 - 28) fails with the size and the limit named, 1472
# bytes go through, and without --dont-fragment the 2000 bytes are fragmented and arrive whole.
# The same over IPv6 (limit 1500 - 48). Also with --broadcast on a LAN host whose eth0 has MTU 1400.
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

# --broadcast: no connected path, so the limit is --iface's MTU (here eth0's, 1400).
make_lan
ip -n "$LAN_A" link set eth0 mtu 1400 || die "eth0 mtu 1400 in $LAN_A"
head -c 1373 /dev/zero >"$TMP/1373"
run "$TMP/out" "$TMP/err" -- ip netns exec "$LAN_A" "$SOCKIT" udp send --broadcast --iface eth0 --dont-fragment -w 0.2 10.77.9.255:9 <"$TMP/1373"
expect_rc 1 "--broadcast --dont-fragment, 1373 bytes over MTU 1400"
expect_eq "$(cat "$TMP/err")" "sockit: udp broadcast 10.77.9.255:9: datagram of 1373 bytes is larger than the path allows: MTU 1400 leaves at most 1372 bytes per datagram, and --dont-fragment forbids fragments (EMSGSIZE)" "broadcast EMSGSIZE line"
finish
