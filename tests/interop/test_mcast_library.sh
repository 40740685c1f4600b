#!/usr/bin/env bash
# The library's multicast calls with real traffic (tests/netns/multicast_netns_test.cpp): join and
# leave, source-specific joins, IP_MULTICAST_ALL, IPv4 and IPv6 (ff0e::, ff05::, ff02::%eth0,
# ff3e:: SSM). The gtest binary joins groups, so it runs only here, inside host A of a test
# network (make_lan), never in the machine's own namespace: it refuses (exit 77) unless
# SOCKIT_TEST_NETNS names the namespace it runs in.
. "$SOCKIT_TEST_LIB"
[ -n "${SOCKIT_NETNS_TESTS:-}" ] && [ -x "$SOCKIT_NETNS_TESTS" ] || die "SOCKIT_NETNS_TESTS does not name the built sockit_netns_tests"
make_lan
# A second source address on A, for the source-specific cases.
ip -n "$LAN_A" addr add 10.77.9.11/24 dev eth0 || die "second IPv4 address on A"
ip -n "$LAN_A" -6 addr add fd77:9::11/64 dev eth0 nodad || die "second IPv6 address on A"
SOCKIT_TEST_NETNS=/run/netns/$LAN_A timeout 60 ip netns exec "$LAN_A" "$SOCKIT_NETNS_TESTS" >"$TMP/out" 2>&1
RC=$?
tail -n 25 "$TMP/out"
expect_rc 0 "sockit_netns_tests in $LAN_A"
expect_contains "$TMP/out" "PASSED" "gtest summary"
grep -q "SKIPPED" "$TMP/out" && fail "a library multicast test skipped: $(grep SKIPPED "$TMP/out" | head -3)"
finish
