#!/usr/bin/env bash
# sockit connect against real servers: nc -l (netcat-openbsd) and socat, TCP and UDP.
# Proves: 16 MiB byte-exact both ways, half-close (the reply after our EOF still arrives), output
# reaches a pipe at once, UDP datagrams and replies, ICMP refusal reported, the -x dump layout.
# labels: long
. "$SOCKIT_TEST_LIB"
need nc socat cmp head timeout

head -c 16M /dev/urandom >"$TMP/data"

# 1. sockit -> nc: 16 MiB from stdin, then our half-close ends nc's listen.
bg_on_free_port P tcp sh -c "exec nc -l 127.0.0.1 {port} >'$TMP/nc_got' </dev/null"; NC=$BG_PID
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect 127.0.0.1 "$P" <"$TMP/data"
expect_rc 0 "connect sending 16 MiB to nc"
wait "$NC" 2>/dev/null
cmp -s "$TMP/data" "$TMP/nc_got" || fail "nc received $(stat -c %s "$TMP/nc_got") bytes, not the 16 MiB sent"

# 2. nc -> sockit: nc sends 16 MiB and shuts down (-N). nc -l quits as soon as its peer
# half-closes, and we half-close at stdin EOF, so our stdin (a pipe) stays open until the whole
# file has arrived (bounded: 20 s), then ends.
bg_on_free_port P tcp sh -c "exec nc -N -l 127.0.0.1 {port} <'$TMP/data' >/dev/null"
: >"$TMP/got"
run "$TMP/got" "$TMP/err" -- sh -c "for i in \$(seq 200); do [ \$(stat -c %s '$TMP/got') -ge 16777216 ] && break; sleep 0.1; done | '$SOCKIT' connect 127.0.0.1 $P"
expect_rc 0 "connect receiving 16 MiB from nc"
cmp -s "$TMP/data" "$TMP/got" || fail "connect received $(stat -c %s "$TMP/got") bytes, not 16 MiB"

# 3. Half-close: the server reads to EOF and only then replies; the reply must still arrive.
bg_on_free_port P tcp socat TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr SYSTEM:"cat >'$TMP/srv_got'; echo reply-after-eof"
printf 'request' >"$TMP/req"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect 127.0.0.1 "$P" <"$TMP/req"
expect_rc 0 "half-close"
expect_eq "$(cat "$TMP/out")" "reply-after-eof" "reply after our EOF"
sleep 0.2
expect_eq "$(cat "$TMP/srv_got" 2>/dev/null)" "request" "server got our request before EOF"

# 4. What arrives is written at once, even into a pipe: the first line is readable while the
# connection is still open (the server waits 6 s before its second line; 5 s to start up and read
# the first is generous on a loaded machine, and still before the second).
bg_on_free_port P tcp socat TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr SYSTEM:"echo first; sleep 6; echo second" 2>/dev/null
line=$( (timeout 15 "$SOCKIT" connect 127.0.0.1 "$P" </dev/null | { IFS= read -r -t 5 l; echo "$l"; cat >/dev/null; }) )
expect_eq "$line" "first" "first line through a pipe within 5 s"

# 5. -x: a hex dump of both directions on stderr, ncat --hex-dump layout; stdout stays clean.
bg_on_free_port P tcp socat TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr SYSTEM:"cat >/dev/null; printf world"
printf 'hello' >"$TMP/hello"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" -x connect 127.0.0.1 "$P" <"$TMP/hello"
expect_rc 0 "connect -x"
expect_eq "$(cat "$TMP/out")" "world" "stdout with -x"
grep -qxF '0000   68 65 6c 6c 6f                                    hello           ' "$TMP/err" \
  || fail "sent dump line not in stderr: $(cat "$TMP/err")"
grep -qxF '0000   77 6f 72 6c 64                                    world           ' "$TMP/err" \
  || fail "received dump line not in stderr: $(cat "$TMP/err")"

# 6. UDP: one datagram out, the echo back, then the 2 s idle timeout ends it (exit 0; 2 s, not less:
# socat's reply may take a while on a loaded machine).
bg_on_free_port P udp socat -T 5 UDP4-LISTEN:{port},bind=127.0.0.1 PIPE
printf 'ping' >"$TMP/ping"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -u -w 2 127.0.0.1 "$P" <"$TMP/ping"
expect_rc 0 "connect -u"
expect_eq "$(cat "$TMP/out")" "ping" "UDP echo through socat"

# 7. UDP with nothing listening: ICMP port unreachable comes back as one clear line, exit 1.
P=$(free_port udp)
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -u -w 2 127.0.0.1 "$P" <"$TMP/ping"
expect_rc 1 "connect -u to a closed port"
expect_lines "$TMP/err" 1 "connect -u refused"
expect_contains "$TMP/err" "ECONNREFUSED" "connect -u refused"

# 8. -u -N: exits at stdin EOF without waiting for replies (no -w needed).
bg_on_free_port P udp sh -c "exec socat -T 5 UDP4-LISTEN:{port},bind=127.0.0.1 PIPE 2>/dev/null"
start=$(date +%s)
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -u -N 127.0.0.1 "$P" <"$TMP/ping"
expect_rc 0 "connect -u -N"
[ $(( $(date +%s) - start )) -le 10 ] || fail "connect -u -N did not exit at stdin EOF"

# IPv6 (-6 ::1) is test_connect_ipv6.sh: it skips, with the reason, where ::1 is missing.

finish
