#!/usr/bin/env bash
# sockit echo --bind ::1 serves IPv6 clients (nc -6); an explicit --bind 127.0.0.1 does not. Its
# own test so that a machine without an IPv6 loopback reports a skip with the reason.
. "$SOCKIT_TEST_LIB"
need nc timeout ip ss
need_ipv6

bg "$SOCKIT" echo --tcp --bind ::1 --port 0 >/dev/null 2>"$TMP/err6"
listening_port P6 "$TMP/err6" tcp echo
expect_eq "$(printf v6 | timeout 5 nc -N ::1 "$P6")" "v6" "echo over IPv6"

bg "$SOCKIT" echo --tcp --bind 127.0.0.1 --port 0 >/dev/null 2>"$TMP/err4"
listening_port P4 "$TMP/err4" tcp echo
expect_eq "$(ss -tlnH "sport = :$P4" | awk '{print $4}')" "127.0.0.1:$P4" "--bind 127.0.0.1 binds that address alone"
printf v6 | timeout 5 nc -N ::1 "$P4" >"$TMP/out4" 2>/dev/null
[ -s "$TMP/out4" ] && fail "--bind 127.0.0.1 answered an IPv6 client"
finish
