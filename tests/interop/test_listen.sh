#!/usr/bin/env bash
# sockit listen against real clients: nc (netcat-openbsd), socat over UDP, and sockit connect.
# Proves: 16 MiB byte-exact in both directions with nc and with sockit connect (whichever side
# half-closes first), -k serves peers one after another, port 0 announces the chosen port,
# UDP prints the first peer's datagrams and sends stdin back to it.
# labels: long
. "$SOCKIT_TEST_LIB"
need nc socat cmp head timeout

head -c 16M /dev/urandom >"$TMP/data"
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

# 1. nc -> sockit listen: 16 MiB, nc half-closes with -N.
bg sh -c "exec timeout 30 '$SOCKIT' listen 0 >'$TMP/got1' </dev/null 2>'$TMP/listen1.err'"; L=$BG_PID
listening_port P "$TMP/listen1.err" tcp
timeout 30 nc -N 127.0.0.1 "$P" <"$TMP/data" >/dev/null || fail "nc client sending 16 MiB failed"
wait "$L"; RC=$?
expect_rc 0 "listen receiving 16 MiB from nc"
cmp -s "$TMP/data" "$TMP/got1" || fail "listen received $(size_of "$TMP/got1") bytes, not 16 MiB"

# 2. sockit listen -> nc: 16 MiB from our stdin; nc's stdin is empty (nc sends no FIN without -N).
bg sh -c "exec timeout 30 '$SOCKIT' listen 0 <'$TMP/data' >/dev/null 2>'$TMP/listen2.err'"; L=$BG_PID
listening_port P "$TMP/listen2.err" tcp
timeout 30 nc 127.0.0.1 "$P" </dev/null >"$TMP/got2" || fail "nc client receiving 16 MiB failed"
wait "$L"; RC=$?
expect_rc 0 "listen sending 16 MiB to nc"
cmp -s "$TMP/data" "$TMP/got2" || fail "nc received $(size_of "$TMP/got2") bytes, not 16 MiB"

# 3. sockit connect -> sockit listen, and 4. the reverse. The receiver's stdin is /dev/null, so it
# half-closes at once; the sender must still deliver everything.
bg sh -c "exec timeout 30 '$SOCKIT' listen 0 >'$TMP/got3' </dev/null 2>'$TMP/listen3.err'"; L=$BG_PID
listening_port P "$TMP/listen3.err" tcp
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect 127.0.0.1 "$P" <"$TMP/data"
expect_rc 0 "connect sending to listen"
wait "$L"; RC=$?
expect_rc 0 "listen receiving from connect"
cmp -s "$TMP/data" "$TMP/got3" || fail "listen received $(size_of "$TMP/got3") bytes from connect"

bg sh -c "exec timeout 30 '$SOCKIT' listen 0 <'$TMP/data' >/dev/null 2>'$TMP/listen4.err'"; L=$BG_PID
listening_port P "$TMP/listen4.err" tcp
run "$TMP/got4" "$TMP/err" -- "$SOCKIT" connect 127.0.0.1 "$P" </dev/null
expect_rc 0 "connect receiving from listen"
wait "$L"; RC=$?
expect_rc 0 "listen sending to connect"
cmp -s "$TMP/data" "$TMP/got4" || fail "connect received $(size_of "$TMP/got4") bytes from listen"

# 5. -k: two peers one after the other, both served by one process.
bg sh -c "exec '$SOCKIT' listen -k 0 >'$TMP/got5' </dev/null 2>'$TMP/listen5.err'"; L=$BG_PID
listening_port P "$TMP/listen5.err" tcp
printf 'one\n' | timeout 10 nc -N 127.0.0.1 "$P" >/dev/null
printf 'two\n' | timeout 10 nc -N 127.0.0.1 "$P" >/dev/null
for _ in $(seq 50); do [ "$(wc -l <"$TMP/got5")" -ge 2 ] && break; sleep 0.1; done
expect_eq "$(cat "$TMP/got5")" "$(printf 'one\ntwo')" "listen -k output"
kill -0 "$L" 2>/dev/null || fail "listen -k exited after its peers"

# 6. Port 0: the kernel picks; "listening on 127.0.0.1:N (tcp)" on stderr tells which.
bg sh -c "exec timeout 20 '$SOCKIT' listen 0 >'$TMP/got6' 2>'$TMP/err6' </dev/null"
for _ in $(seq 100); do grep -q 'listening on' "$TMP/err6" 2>/dev/null && break; sleep 0.1; done
N=$(sed -n 's/^sockit: listening on 127\.0\.0\.1:\([0-9]*\) (tcp)$/\1/p' "$TMP/err6")
if [ -z "$N" ]; then fail "no 'listening on' line for port 0: $(cat "$TMP/err6")"; else
  printf 'zero' | timeout 10 nc -N 127.0.0.1 "$N" >/dev/null
  wait_nonempty "$TMP/got6"
  expect_eq "$(cat "$TMP/got6")" "zero" "listen 0"
fi

# 7. -6 binds ::1: test_listen_ipv6.sh, which skips with the reason where ::1 is missing.

# 8. UDP: socat sends a datagram; we print it and send our stdin (written after it) back.
mkfifo "$TMP/fifo"
bg sh -c "exec '$SOCKIT' listen -u 0 >'$TMP/got8' <'$TMP/fifo' 2>'$TMP/listen8.err'"
exec 3>"$TMP/fifo"
listening_port P "$TMP/listen8.err" udp
bg sh -c "printf 'hello' | exec socat -t 5 -T 5 - UDP4:127.0.0.1:$P >'$TMP/socat8'"; S=$BG_PID
wait_nonempty "$TMP/got8"
expect_eq "$(cat "$TMP/got8")" "hello" "listen -u printed the datagram"
printf 'back' >&3
wait_nonempty "$TMP/socat8"
expect_eq "$(cat "$TMP/socat8")" "back" "listen -u sent stdin to the peer"
exec 3>&-

finish
