#!/usr/bin/env bash
# sockit listen -6 binds ::1 (not 127.0.0.1, not ::) and relays what an IPv6 peer sends. Its own
# test so that a machine without an IPv6 loopback reports a skip with the reason.
. "$SOCKIT_TEST_LIB"
need nc timeout ip ss
need_ipv6

bg sh -c "exec timeout 20 '$SOCKIT' listen -6 0 >'$TMP/got' </dev/null 2>'$TMP/listen.err'"; L=$BG_PID
listening_port P "$TMP/listen.err" tcp
ss -tlnH "sport = :$P" | grep -q '\[::1\]' || fail "listen -6 is not bound to ::1: $(ss -tlnH "sport = :$P")"
printf 'six' | timeout 10 nc -N ::1 "$P" >/dev/null
wait "$L"
expect_eq "$(cat "$TMP/got")" "six" "listen -6"
finish
