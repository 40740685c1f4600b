#!/usr/bin/env bash
# sockit ping --tcp PORT times TCP handshakes: an open port answers (exit 0), a closed one refuses
# (error lines, exit 1), a dropped one (nft drop in a test namespace) gives 100% loss within -W
# (exit 1, no hang). --udp PORT times round trips to an echo service, and a closed UDP port gives
# errors and exit 1. Same statistics lines as ICMP.
. "$SOCKIT_TEST_LIB"
need nft
rm -f "$TMP/echo.err"  # not the last server's listening line
bg "$SOCKIT" echo --port 0 >/dev/null 2>"$TMP/echo.err"
listening_port P "$TMP/echo.err" tcp echo
listening_port PU "$TMP/echo.err" udp echo

run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping --tcp "$P" -c 3 -i 0.2 127.0.0.1
expect_rc 0 "--tcp open"
expect_match "$TMP/out" "^PING 127.0.0.1 \(127.0.0.1\) tcp port $P: timing the TCP handshake.\$" "--tcp header"
expect_match "$TMP/out" "^handshake with 127.0.0.1:$P: tcp_seq=3 time=[0-9.]+ ms\$" "--tcp reply line"
expect_contains "$TMP/out" "3 packets transmitted, 3 received, 0% packet loss" "--tcp open"
expect_match "$TMP/out" '^rtt min/avg/max/mdev = ' "--tcp rtt line"

run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping 127.0.0.1 -c 2 -i 0.2 --tcp 1
expect_rc 1 "--tcp closed"
expect_match "$TMP/out" '^From 127.0.0.1 tcp_seq=2 Connection refused$' "--tcp closed"
expect_contains "$TMP/out" "2 packets transmitted, 0 received, +2 errors, 100% packet loss" "--tcp closed"

make_netns
ip netns exec "$NS" nft add table inet droptest
ip netns exec "$NS" nft add chain inet droptest in '{ type filter hook input priority 0; }'
ip netns exec "$NS" nft add rule inet droptest in tcp dport 9 drop
started=$(date +%s%N)
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" ping --tcp 9 -c 2 -i 0.2 -W 1 127.0.0.1
took=$(( ($(date +%s%N) - started) / 1000000 ))
expect_rc 1 "--tcp dropped"
expect_contains "$TMP/out" "2 packets transmitted, 0 received, 100% packet loss" "--tcp dropped"
[ "$took" -lt 5000 ] || fail "--tcp dropped: took ${took} ms (-W 1)"

run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json ping --udp "$PU" -c 3 -i 0.2 127.0.0.1
expect_rc 0 "--udp echo"
[ "$(grep -c '"event":"reply".*"bytes":56,' "$TMP/out")" -eq 3 ] || fail "--udp echo: replies: $(cat "$TMP/out")"
expect_match "$TMP/out" '"event":"summary".*"transmitted":3,"received":3,' "--udp echo summary"

# A closed UDP port: ICMP port unreachable, reported on the connected socket.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" ping --udp 9 -c 2 -i 0.2 -W 1 127.0.0.1
expect_rc 1 "--udp closed"
expect_match "$TMP/out" '^From 127.0.0.1 udp_seq=[12] Connection refused$' "--udp closed"
# IPv6: the address and port as everywhere else, [::1]:PORT.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping --tcp "$P" -c 1 ::1
expect_rc 0 "--tcp ::1"
expect_match "$TMP/out" "^handshake with \[::1\]:$P: tcp_seq=1 time=[0-9.]+ ms\$" "--tcp ::1 reply line"
finish
