#!/usr/bin/env bash
# sockit mcast between separate hosts (make_lan: A, B, C on one bridge, in namespaces of this
# test; ports are fixed since each namespace has its own): a datagram from A reaches receivers on
# B and C; TTL 0 stays on A (a member on A hears it through loop, B does not); --no-loop keeps it
# from A's own members; a source-specific receiver accepts only its source; a second group on the
# same port does not leak in; the membership is gone once the receiver exits.
. "$SOCKIT_TEST_LIB"
make_lan
G=239.77.9.10

. "$(dirname "$SOCKIT_TEST_LIB")/mcast_lib.sh"

# 1. A to B and C.
mrecv "$LAN_B" RB --count 1 --timeout 5 "$G:5000"
mrecv "$LAN_C" RCC --count 1 --timeout 5 "$G:5000"
grep -q "$G" <(ip -n "$LAN_B" maddr show dev eth0) || fail "B's eth0 has not joined $G: $(ip -n "$LAN_B" maddr show dev eth0)"
msend "$LAN_A" "$G:5000" hello
finished "$RB" "receiver on B" 0
finished "$RCC" "receiver on C" 0
expect_match "$TMP/RB.out" '^10\.77\.9\.1:[0-9]+ \(5 bytes\): hello$' "B hears A"
expect_match "$TMP/RCC.out" '^10\.77\.9\.1:[0-9]+ \([0-9]+ bytes\): hello$' "C hears A"
# The receiver left on exit: B's eth0 no longer holds the group.
grep -q "$G" <(ip -n "$LAN_B" maddr show dev eth0) && fail "B still a member of $G after its receiver exited"

# 2. TTL 0: looped back to A's own member, never on the wire.
mrecv "$LAN_A" RA --count 1 --timeout 5 "$G:5001"
mrecv "$LAN_B" RB --count 1 --timeout 2 "$G:5001"
msend "$LAN_A" --ttl 0 "$G:5001" ttl0
finished "$RA" "TTL 0: receiver on A" 0
finished "$RB" "TTL 0: receiver on B" 1
expect_match "$TMP/RA.out" '^10\.77\.9\.1:[0-9]+ \([0-9]+ bytes\): ttl0$' "TTL 0 looped back on A"
expect_lines "$TMP/RB.out" 0 "TTL 0 reached B"
expect_contains "$TMP/RB.err" "0 of 1 datagrams within 2 s" "B's timeout line"

# 3. --no-loop: B hears it, A's own member does not.
mrecv "$LAN_A" RA --count 1 --timeout 2 "$G:5002"
mrecv "$LAN_B" RB --count 1 --timeout 5 "$G:5002"
msend "$LAN_A" --no-loop "$G:5002" noloop
finished "$RB" "--no-loop: receiver on B" 0
finished "$RA" "--no-loop: receiver on A" 1
expect_match "$TMP/RB.out" 'noloop$' "--no-loop reaches B"
expect_lines "$TMP/RA.out" 0 "--no-loop looped back on A"

# 4. Source-specific: only A's datagram, though C sends first.
S=232.77.9.11
mrecv "$LAN_B" RB --ssm-source 10.77.9.1 --count 2 --timeout 6 "$S:5003"
msend "$LAN_C" "$S:5003" from-c
msend "$LAN_A" "$S:5003" from-a
finished "$RB" "SSM receiver (2 wanted, 1 allowed)" 1
expect_lines "$TMP/RB.out" 1 "SSM receiver output"
expect_match "$TMP/RB.out" '^10\.77\.9\.1:[0-9]+ \([0-9]+ bytes\): from-a$' "SSM receiver hears A"

# 5. Two groups on one port, one receiver each on B: neither hears the other's.
G2=239.77.9.12
mrecv "$LAN_B" R1 --count 2 --timeout 6 "$G:5004"
mrecv "$LAN_B" R2 --count 2 --timeout 6 "$G2:5004"
msend "$LAN_A" "$G2:5004" second
msend "$LAN_A" "$G:5004" first
finished "$R1" "receiver of the first group" 1
finished "$R2" "receiver of the second group" 1
expect_lines "$TMP/R1.out" 1 "first group's receiver"
expect_match "$TMP/R1.out" ': first$' "first group's datagram"
expect_lines "$TMP/R2.out" 1 "second group's receiver"
expect_match "$TMP/R2.out" ': second$' "second group's datagram"

# 6. --iface by name and by address, --source-addr: all on A's eth0.
ip -n "$LAN_A" addr add 10.77.9.21/24 dev eth0 || die "second address on A"
mrecv "$LAN_B" RB --iface eth0 --count 2 --timeout 5 "$G:5005"
msend "$LAN_A" --iface 10.77.9.1 "$G:5005" by-addr
msend "$LAN_A" --iface eth0 --source-addr 10.77.9.21 "$G:5005" from-21
finished "$RB" "--iface receiver" 0
expect_match "$TMP/RB.out" '^10\.77\.9\.1:[0-9]+ \([0-9]+ bytes\): by-addr$' "--iface ADDR"
expect_match "$TMP/RB.out" '^10\.77\.9\.21:[0-9]+ \([0-9]+ bytes\): from-21$' "--source-addr"
finish
