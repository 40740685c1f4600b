#!/usr/bin/env bash
# sockit connect -6 to ::1 against nc -6 -l: the payload arrives over IPv6. Its own test so that a
# machine without an IPv6 loopback reports a skip with the reason instead of passing silently.
. "$SOCKIT_TEST_LIB"
need nc timeout ip
need_ipv6

bg_on_free_port P tcp sh -c "exec nc -6 -l ::1 {port} >'$TMP/nc6' </dev/null"; NC=$BG_PID
ss -tlnH "sport = :$P" | grep -q '\[::1\]' || fail "nc -6 is not on ::1: $(ss -tlnH "sport = :$P")"
printf 'six' >"$TMP/six"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -6 ::1 "$P" <"$TMP/six"
expect_rc 0 "connect -6 ::1"
wait "$NC" 2>/dev/null
expect_eq "$(cat "$TMP/nc6")" "six" "IPv6 payload"
# The bracketed form reaches the same address.
bg sh -c "exec nc -6 -l ::1 $P >'$TMP/nc6b' </dev/null"; NC=$BG_PID
wait_listen "$P"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect '[::1]' "$P" <"$TMP/six"
expect_rc 0 "connect [::1]"
wait "$NC" 2>/dev/null
expect_eq "$(cat "$TMP/nc6b")" "six" "IPv6 payload via [::1]"
finish
