#!/usr/bin/env bash
# sockit mcast over IPv6 between separate hosts (make_lan, namespaces of this test; fixed ports,
# each namespace has its own): site- and global-scope groups (ff05::, ff0e::) from A reach B and
# C; a link-local group (ff02::) with --iface NAME, --iface INDEX and the [ff02::x%eth0] form, and
# refused without an interface; hop limit 0 stays on A; a source-specific receiver (ff3e::)
# accepts only its source.
. "$SOCKIT_TEST_LIB"
make_lan
. "$(dirname "$SOCKIT_TEST_LIB")/mcast_lib.sh"

# 1. ff0e:: and ff05:: from A to B and C.
port=6000
for g in ff0e::77:9:10 ff05::77:9:10; do
  mrecv "$LAN_B" RB --count 1 --timeout 5 "[$g]:$port"
  mrecv "$LAN_C" RCC --count 1 --timeout 5 "[$g]:$port"
  msend "$LAN_A" "[$g]:$port" "hello $g"
  finished "$RB" "$g: receiver on B" 0
  finished "$RCC" "$g: receiver on C" 0
  expect_match "$TMP/RB.out" "^\[fd77:9::1\]:[0-9]+ \([0-9]+ bytes\): hello $g\$" "$g: B hears A"
  expect_match "$TMP/RCC.out" "^\[fd77:9::1\]:[0-9]+ \([0-9]+ bytes\): hello $g\$" "$g: C hears A"
  port=$((port + 1))
done

# 2. ff02:: (link-local): the interface by name, by index, or as the group's scope.
L=ff02::77:9:10
idx=$(ip netns exec "$LAN_B" cat /sys/class/net/eth0/ifindex)
mrecv "$LAN_B" RB --iface eth0 --count 1 --timeout 5 "[$L]:6010"
mrecv "$LAN_C" RCC --count 1 --timeout 5 "[$L%eth0]:6010"
msend "$LAN_A" --iface eth0 "[$L]:6010" link-local
finished "$RB" "ff02:: --iface eth0 on B" 0
finished "$RCC" "ff02::%eth0 on C" 0
# To a link-local group the source is A's fe80:: address once it is usable, fd77:9::1 before that.
expect_match "$TMP/RB.out" '^\[(fd77:9::1|fe80::[0-9a-f:]+%eth0)\]:[0-9]+ \([0-9]+ bytes\): link-local$' "ff02:: on B"
expect_match "$TMP/RCC.out" '^\[(fd77:9::1|fe80::[0-9a-f:]+%eth0)\]:[0-9]+ \([0-9]+ bytes\): link-local$' "ff02:: on C"
mrecv "$LAN_B" RB --iface "$idx" --count 1 --timeout 5 "[$L]:6011"
msend "$LAN_A" "[$L%eth0]:6011" by-index
finished "$RB" "ff02:: --iface $idx on B" 0
expect_match "$TMP/RB.out" 'by-index$' "ff02:: joined by index"
run "$TMP/out" "$TMP/err" -- ip netns exec "$LAN_A" "$SOCKIT" mcast recv --timeout 1 "[$L]:6012"
expect_rc 2 "mcast recv ff02:: without an interface"
expect_contains "$TMP/err" "is link-local: name the interface with --iface" "mcast recv ff02:: without an interface"
run "$TMP/out" "$TMP/err" -- ip netns exec "$LAN_A" "$SOCKIT" mcast send "[$L]:6012" x
expect_rc 2 "mcast send ff02:: without an interface"
expect_contains "$TMP/err" "is link-local: name the interface with --iface" "mcast send ff02:: without an interface"

# 3. Hop limit 0: A's own member hears it, B does not.
mrecv "$LAN_A" RA --count 1 --timeout 5 "[ff0e::77:9:11]:6020"
mrecv "$LAN_B" RB --count 1 --timeout 2 "[ff0e::77:9:11]:6020"
msend "$LAN_A" --ttl 0 "[ff0e::77:9:11]:6020" hops0
finished "$RA" "hop limit 0: receiver on A" 0
finished "$RB" "hop limit 0: receiver on B" 1
expect_match "$TMP/RA.out" 'hops0$' "hop limit 0 looped back on A"
expect_lines "$TMP/RB.out" 0 "hop limit 0 reached B"

# 4. Source-specific (ff3e::/32): only A's datagram, though C sends first.
mrecv "$LAN_B" RB --ssm-source fd77:9::1 --count 2 --timeout 6 "[ff3e::77:9:12]:6030"
msend "$LAN_C" "[ff3e::77:9:12]:6030" from-c
msend "$LAN_A" "[ff3e::77:9:12]:6030" from-a
finished "$RB" "IPv6 SSM receiver (2 wanted, 1 allowed)" 1
expect_lines "$TMP/RB.out" 1 "IPv6 SSM receiver output"
expect_match "$TMP/RB.out" '^\[fd77:9::1\]:[0-9]+ \([0-9]+ bytes\): from-a$' "IPv6 SSM receiver hears A"
finish
