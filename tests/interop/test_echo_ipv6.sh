#!/usr/bin/env bash
# sockit echo --bind ::1 serves IPv6 clients (nc -6), and its default 127.0.0.1 bind does not. Its
# own test so that a machine without an IPv6 loopback reports a skip with the reason.
. "$SOCKIT_TEST_LIB"
need nc timeout ip ss
need_ipv6

bg "$SOCKIT" echo --tcp --bind ::1 --port 0 >/dev/null 2>"$TMP/err6"
listening_port P6 "$TMP/err6" tcp echo
expect_eq "$(printf v6 | timeout 5 nc -N ::1 "$P6")" "v6" "echo over IPv6"

bg "$SOCKIT" echo --tcp --port 0 >/dev/null 2>"$TMP/err4"
listening_port P4 "$TMP/err4" tcp echo
ss -tlnH "sport = :$P4" | grep -q '127\.0\.0\.1' || fail "default bind is not 127.0.0.1: $(ss -tlnH "sport = :$P4")"
printf v6 | timeout 5 nc -N ::1 "$P4" >"$TMP/out4" 2>/dev/null
[ -s "$TMP/out4" ] && fail "the default 127.0.0.1 bind answered an IPv6 client"
finish
