#!/usr/bin/env bash
# Text a peer controls is shown escaped: proto call's response line and udp recv's labelled
# datagrams turn ESC, other C0 controls (tab and newline kept), DEL, C1 and bytes outside UTF-8
# into \xNN, so a hostile peer's ESC[2J cannot clear the terminal; UTF-8 text is left alone. The
# data streams (connect, listen, udp recv --raw) stay byte-exact.
. "$SOCKIT_TEST_LIB"
need socat cmp
printf '\033[2J\033]0;x\007caf\303\251\r\233end' >"$TMP/evil"
shown='\x1b[2J\x1b]0;x\x07café\x0d\x9bend'

# udp recv: the labelled line escaped, --raw untouched.
U=$(free_port udp)
bg "$SOCKIT" udp recv --count 1 "127.0.0.1:$U" >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
wait_listen "$U" udp
"$SOCKIT" udp send -w 0.2 "127.0.0.1:$U" <"$TMP/evil" >/dev/null 2>&1
for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "udp recv --count 1"
grep -Eq '^127\.0\.0\.1:[0-9]+: ' "$TMP/recv" || fail "udp recv line: $(cat -v "$TMP/recv")"
expect_eq "$(sed 's/^127\.0\.0\.1:[0-9]*: //' "$TMP/recv")" "$shown" "udp recv shows the datagram escaped"
grep -q $'\033' "$TMP/recv" && fail "udp recv let ESC through: $(cat -v "$TMP/recv")"

U=$(free_port udp)
bg "$SOCKIT" udp recv --raw --count 1 "127.0.0.1:$U" >"$TMP/raw" 2>"$TMP/recv.err"
RECV=$BG_PID
wait_listen "$U" udp
"$SOCKIT" udp send -w 0.2 "127.0.0.1:$U" <"$TMP/evil" >/dev/null 2>&1
for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"
cmp -s "$TMP/evil" "$TMP/raw" || fail "udp recv --raw is not byte-exact: $(cat -v "$TMP/raw")"

# proto call: the response line escaped.
Q=$(free_port)
bg "$SOCKIT" proto serve --port "$Q" >/dev/null 2>"$TMP/server.err"
wait_listen "$Q"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$Q" echo "$(cat "$TMP/evil")"
expect_rc 0 "proto call echo of control characters"
expect_eq "$(cat "$TMP/out")" "OK Echo: $shown" "proto call shows the response escaped"

# connect and listen: the data stream is byte for byte what the peer sent.
P=$(free_port)
bg socat -u OPEN:"$TMP/evil" TCP-LISTEN:"$P",bind=127.0.0.1,reuseaddr
wait_listen "$P"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect 127.0.0.1 "$P" </dev/null
expect_rc 0 "connect"
cmp -s "$TMP/evil" "$TMP/out" || fail "connect output is not byte-exact: $(cat -v "$TMP/out")"

P=$(free_port)
bg "$SOCKIT" listen 127.0.0.1 "$P" </dev/null >"$TMP/listen.out" 2>"$TMP/listen.err"
LISTEN=$BG_PID
wait_listen "$P"
socat -u OPEN:"$TMP/evil" TCP:127.0.0.1:"$P"
for _ in $(seq 50); do kill -0 "$LISTEN" 2>/dev/null || break; sleep 0.1; done
cmp -s "$TMP/evil" "$TMP/listen.out" || fail "listen output is not byte-exact: $(cat -v "$TMP/listen.out")"

finish
