#!/usr/bin/env bash
# sockit connect/listen on Unix domain sockets against nc -U (netcat-openbsd) and socat.
# Proves: 1 MiB byte-exact both ways with nc -U and socat UNIX-LISTEN/UNIX-CONNECT, listen -k (clients at once), abstract
# names (ABSTRACT-CONNECT/ABSTRACT-LISTEN), datagrams with nc -uU and socat UNIX-SENDTO /
# UNIX-RECVFROM in both directions, --mode read back with stat, the stale-file rule (dead server
# replaced, live one refused, a regular file and a directory kept), the file gone after Ctrl+C
# and SIGTERM, -v's "peer pid uid gid" line, and the usage errors.
. "$SOCKIT_TEST_LIB"
need nc socat cmp head timeout stat python3

head -c 1M /dev/urandom >"$TMP/data"
head -c 1M /dev/urandom >"$TMP/data2"
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
wait_gone() { for _ in $(seq 50); do [ -e "$1" ] || return 0; sleep 0.1; done; return 1; }
wait_line() { for _ in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# wait_unix_accepted PATH N: up to 10 s until the server on PATH has accepted N clients (an
# established socket named PATH; one still in the backlog has none yet).
wait_unix_accepted() {
  for _ in $(seq 100); do
    [ "$(ss -xanH 2>/dev/null | awk -v p="$1" '$5 == p && $2 == "ESTAB"' | wc -l)" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# 1. nc -U -> sockit listen, 1 MiB; the file is ours and is removed when listen exits.
S=$TMP/s1
bg sh -c "exec timeout 20 '$SOCKIT' listen 'unix:$S' >'$TMP/got1' </dev/null 2>'$TMP/l1.err'"; L=$BG_PID
wait_file "$S"
expect_contains "$TMP/l1.err" "listening on unix:$S (unix stream)" "listening line"
timeout 10 nc -N -U "$S" <"$TMP/data" >/dev/null || fail "nc -U sending 1 MiB failed"
wait "$L"; RC=$?
expect_rc 0 "listen receiving from nc -U"
cmp -s "$TMP/data" "$TMP/got1" || fail "listen received $(size_of "$TMP/got1") bytes from nc -U, not 1 MiB"
[ -e "$S" ] && fail "socket file $S left after listen exited"

# 2. sockit listen -> nc -U, 1 MiB from our stdin.
S=$TMP/s2
bg sh -c "exec timeout 20 '$SOCKIT' listen 'unix:$S' <'$TMP/data' >/dev/null 2>'$TMP/l2.err'"; L=$BG_PID
wait_file "$S"
timeout 10 nc -U "$S" </dev/null >"$TMP/got2" || fail "nc -U receiving 1 MiB failed"
wait "$L"; RC=$?
expect_rc 0 "listen sending to nc -U"
cmp -s "$TMP/data" "$TMP/got2" || fail "nc -U received $(size_of "$TMP/got2") bytes, not 1 MiB"

# 3. sockit connect -> nc -lU, 1 MiB.
S=$TMP/s3
bg sh -c "exec timeout 20 nc -lU '$S' >'$TMP/got3' </dev/null"; L=$BG_PID
wait_file "$S"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect "unix:$S" <"$TMP/data"
expect_rc 0 "connect sending to nc -lU"
wait "$L"
cmp -s "$TMP/data" "$TMP/got3" || fail "nc -lU received $(size_of "$TMP/got3") bytes from connect, not 1 MiB"

# 4. socat UNIX-CONNECT <-> sockit listen: 1 MiB each way at once.
S=$TMP/s4
bg sh -c "exec timeout 20 '$SOCKIT' listen 'unix:$S' <'$TMP/data2' >'$TMP/got4l' 2>'$TMP/l4.err'"; L=$BG_PID
wait_file "$S"
timeout 10 socat -t 5 - "UNIX-CONNECT:$S" <"$TMP/data" >"$TMP/got4s" || fail "socat UNIX-CONNECT failed"
wait "$L"; RC=$?
expect_rc 0 "listen with socat UNIX-CONNECT"
cmp -s "$TMP/data" "$TMP/got4l" || fail "listen got $(size_of "$TMP/got4l") bytes from socat, not 1 MiB"
cmp -s "$TMP/data2" "$TMP/got4s" || fail "socat got $(size_of "$TMP/got4s") bytes from listen, not 1 MiB"

# 5. sockit connect <-> socat UNIX-LISTEN: 1 MiB each way at once; -v names the server's pid.
S=$TMP/s5
bg sh -c "exec timeout 20 socat -t 5 'UNIX-LISTEN:$S' - <'$TMP/data2' >'$TMP/got5s'"; L=$BG_PID
wait_file "$S"
run "$TMP/got5c" "$TMP/err5" -- "$SOCKIT" -v connect "unix:$S" <"$TMP/data"
expect_rc 0 "connect with socat UNIX-LISTEN"
wait "$L"
cmp -s "$TMP/data" "$TMP/got5s" || fail "socat got $(size_of "$TMP/got5s") bytes from connect, not 1 MiB"
cmp -s "$TMP/data2" "$TMP/got5c" || fail "connect got $(size_of "$TMP/got5c") bytes from socat, not 1 MiB"
# SO_PEERCRED names the process that listened (socat, a child of timeout): a pid, our uid and gid.
expect_match "$TMP/err5" "peer pid [1-9][0-9]* uid $(id -u) gid $(id -g)\$" "connect -v credentials"

# 5b. listen -k: clients at once (nc -U stays connected while sockit connect comes and goes), the
# file stays meanwhile, -v names each client apart (the socket's name and a number).
S=$TMP/k5
bg sh -c "exec '$SOCKIT' -v listen -k 'unix:$S' >'$TMP/got5k' </dev/null 2>'$TMP/l5k.err'"; L=$BG_PID
wait_file "$S"
bg bash -c "exec timeout 5 nc -N -U '$S' < <(printf 'one\n'; sleep 3) >/dev/null"; A=$BG_PID
for _ in $(seq 50); do [ "$(wc -l <"$TMP/got5k")" -ge 1 ] && break; sleep 0.1; done
printf 'two\n' | timeout 2 "$SOCKIT" connect "unix:$S" >/dev/null || fail "listen -k: a second client waited for the first"
for _ in $(seq 20); do [ "$(wc -l <"$TMP/got5k")" -ge 2 ] && break; sleep 0.1; done
expect_eq "$(cat "$TMP/got5k")" "$(printf 'one\ntwo')" "listen -k on a Unix socket: both clients, at once"
kill -0 "$A" 2>/dev/null || fail "listen -k: the first client was gone before the second was served"
expect_match "$TMP/l5k.err" "connection from unix:$S #2 \(2 connected\)" "listen -k: the second client, named apart"
[ -S "$S" ] || fail "listen -k lost its socket file between clients"
kill -TERM "$L"; wait "$L"; RC=$?
expect_rc 0 "listen -k after SIGTERM"
wait_gone "$S" || fail "socket file $S left after listen -k's SIGTERM"

# 5c. listen -k --max-conns 1 on a Unix socket: a second client is closed at once (its line never
# arrives) while the first is served; --broker relays one client's line to the other; --allow and
# --deny (IP filters) are refused with a unix: address.
S=$TMP/k5c
bg sh -c "exec '$SOCKIT' -v listen -k --max-conns 1 'unix:$S' >'$TMP/got5c' </dev/null 2>'$TMP/l5c.err'"; L=$BG_PID
wait_file "$S"
bg bash -c "exec timeout 5 nc -N -U '$S' < <(printf 'first\n'; sleep 3) >/dev/null"
for _ in $(seq 50); do [ "$(wc -l <"$TMP/got5c")" -ge 1 ] && break; sleep 0.1; done
printf 'second\n' | timeout 3 nc -N -U "$S" >/dev/null 2>&1
wait_line "$TMP/l5c.err" "refused a Unix client" || true  # may be logged after the close nc saw
sleep 0.3  # (and the refused line, were it printed, would be there by now)
expect_eq "$(cat "$TMP/got5c")" first "listen -k --max-conns 1 on a Unix socket: only the first client"
expect_match "$TMP/l5c.err" "refused a Unix client: 1 connection already \(--max-conns 1\)" "--max-conns on a Unix socket: the line"
kill -TERM "$L"; wait "$L"; RC=$?
expect_rc 0 "listen -k --max-conns on a Unix socket after SIGTERM"
S=$TMP/b5c
bg sh -c "exec '$SOCKIT' listen --broker 'unix:$S' >/dev/null </dev/null 2>'$TMP/b5c.err'"; L=$BG_PID
wait_file "$S"
bg bash -c "exec timeout 5 nc -U '$S' < <(sleep 2) >'$TMP/b5c.got'"; BB=$BG_PID
# The broker relays only to the clients it has: wait for its accept (a slow nc missed the line).
wait_unix_accepted "$S" 1 || fail "listen --broker did not accept the first Unix client"
(sleep 0.5; printf 'to-all\n'; sleep 1) | timeout 5 nc -N -U "$S" >/dev/null
wait "$BB"
expect_eq "$(cat "$TMP/b5c.got")" to-all "listen --broker on a Unix socket: one client's line reached the other"
kill -TERM "$L"; wait "$L"; RC=$?
expect_rc 0 "listen --broker on a Unix socket after SIGTERM"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen -k --allow 127.0.0.1 "unix:$TMP/never"
expect_rc 2 "listen --allow with a unix: address"
expect_eq "$(cat "$TMP/err")" "sockit: --allow and --deny filter IP addresses: not with a unix: address" "--allow with unix:: the line"

# 6. Abstract names both ways: no file anywhere.
N="sockit-test-$$"
bg sh -c "exec timeout 20 '$SOCKIT' -v listen 'unix:@$N' >'$TMP/got6' </dev/null 2>'$TMP/l6.err'"; L=$BG_PID
wait_line "$TMP/l6.err" "listening on unix:@$N (unix stream)" || fail "no listening line for unix:@$N"
printf 'abstract\n' | timeout 10 socat - "ABSTRACT-CONNECT:$N" >/dev/null || fail "socat ABSTRACT-CONNECT failed"
wait "$L"; RC=$?
expect_rc 0 "listen on an abstract name"
expect_eq "$(cat "$TMP/got6")" "abstract" "listen on unix:@ output"
# -v credentials of the accepted client (socat): our uid and gid.
expect_match "$TMP/l6.err" "peer pid [1-9][0-9]* uid $(id -u) gid $(id -g)\$" "listen -v credentials"
bg sh -c "exec timeout 20 socat 'ABSTRACT-LISTEN:$N-b' - >'$TMP/got6b' </dev/null"; L=$BG_PID
for _ in $(seq 50); do grep -q "@$N-b" /proc/net/unix && break; sleep 0.1; done
printf 'to socat\n' | run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect "unix:@$N-b"
expect_rc 0 "connect to socat ABSTRACT-LISTEN"
wait "$L"
expect_eq "$(cat "$TMP/got6b")" "to socat" "socat ABSTRACT-LISTEN output"

# 7. Datagrams: nc -uU -> sockit listen --unix-dgram, and the reply back to nc's bound socket.
S=$TMP/d7
bg bash -c "exec '$SOCKIT' -v listen --unix-dgram 'unix:$S' >'$TMP/got7' 2>'$TMP/l7.err' < <(printf 'pong\n'; sleep 3)"; L=$BG_PID
wait_file "$S"
wait_line "$TMP/l7.err" "(unix dgram)" || true  # printed after the bind that made the file
expect_contains "$TMP/l7.err" "(unix dgram)" "dgram listening line"
(printf 'ping\n'; sleep 1.5) | timeout 3 nc -uU "$S" >"$TMP/got7nc" 2>/dev/null
wait_line "$TMP/got7" ping || true
expect_eq "$(cat "$TMP/got7")" "ping" "listen --unix-dgram got nc's datagram"
expect_eq "$(cat "$TMP/got7nc")" "pong" "nc -uU got the reply"
kill -TERM "$L" 2>/dev/null; wait "$L"; RC=$?
expect_rc 0 "listen --unix-dgram after SIGTERM"
wait_gone "$S" || fail "datagram socket file $S left after SIGTERM"

# 8. sockit connect --unix-dgram -> socat UNIX-RECVFROM, which answers our autobind address.
S=$TMP/d8
bg sh -c "exec timeout 20 socat 'UNIX-RECVFROM:$S' SYSTEM:'head -c 5; printf reply' >/dev/null"; L=$BG_PID
wait_file "$S"
(printf 'hello'; sleep 1) | run "$TMP/got8" "$TMP/err" -- "$SOCKIT" connect --unix-dgram -w 1 "unix:$S"
expect_rc 0 "connect --unix-dgram to socat UNIX-RECVFROM"
expect_match "$TMP/got8" "reply" "connect --unix-dgram got socat's reply"
wait "$L" 2>/dev/null

# 9. socat UNIX-SENDTO (bound, so it can be answered) -> sockit listen --unix-dgram.
S=$TMP/d9
bg bash -c "exec '$SOCKIT' listen --unix-dgram 'unix:$S' >'$TMP/got9' 2>'$TMP/l9.err' < <(sleep 0.5; printf 'back\n'; sleep 3)"; L=$BG_PID
wait_file "$S"
(printf 'dgram\n'; sleep 1.5) | timeout 3 socat -t 1.5 - "UNIX-SENDTO:$S,bind=$TMP/c9" >"$TMP/got9s"
wait_line "$TMP/got9" dgram || true
expect_eq "$(cat "$TMP/got9")" "dgram" "listen --unix-dgram got socat's datagram"
expect_eq "$(cat "$TMP/got9s")" "back" "socat UNIX-SENDTO got the reply"
kill -INT "$L" 2>/dev/null; wait "$L"; RC=$?
expect_rc 0 "listen --unix-dgram after Ctrl+C"
wait_gone "$S" || fail "datagram socket file $S left after Ctrl+C"

# 10. --mode, read back with stat, under a umask that would take bits away.
S=$TMP/m10
bg sh -c "umask 077; exec '$SOCKIT' listen --mode 660 'unix:$S' </dev/null >/dev/null 2>'$TMP/l10.err'"; L=$BG_PID
wait_file "$S"
expect_eq "$(stat -c %a "$S")" "660" "--mode 660 under umask 077"
# 11. Ctrl+C while waiting for a peer: exit 0 and the file is gone.
kill -INT "$L"; wait "$L"; RC=$?
expect_rc 0 "listen after Ctrl+C"
wait_gone "$S" || fail "socket file $S left after Ctrl+C"
# ... and SIGTERM in the middle of a connection.
S=$TMP/m11
bg sh -c "exec '$SOCKIT' listen 'unix:$S' </dev/null >/dev/null 2>'$TMP/l11.err'"; L=$BG_PID
wait_file "$S"
bg sh -c "exec sleep 5 | nc -U '$S' >/dev/null"; C=$BG_PID
sleep 0.3
kill -TERM "$L"; wait "$L"; RC=$?
expect_rc 0 "listen after SIGTERM during a connection"
wait_gone "$S" || fail "socket file $S left after SIGTERM"

# 12. The stale-file rule.
S=$TMP/stale
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$S"  # dies, file stays
[ -S "$S" ] || fail "no stale socket file made"
bg sh -c "exec timeout 20 '$SOCKIT' listen 'unix:$S' </dev/null >'$TMP/got12' 2>'$TMP/l12.err'"; L=$BG_PID
wait_line "$TMP/l12.err" "listening on unix:$S" || fail "listen did not replace a stale socket file: $(cat "$TMP/l12.err")"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen "unix:$S" </dev/null
expect_rc 1 "second listen on a live socket"
expect_contains "$TMP/err" "sockit: unix:$S: a server is listening there (in use)" "live socket refused"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen --unix-dgram "unix:$S" </dev/null
expect_rc 1 "datagram listen on a live stream socket"
printf 'still\n' | timeout 5 nc -N -U "$S" >/dev/null
wait "$L"
expect_eq "$(cat "$TMP/got12")" "still" "the live server kept serving"
printf 'keep me\n' >"$TMP/plain"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen "unix:$TMP/plain" </dev/null
expect_rc 1 "listen on a regular file"
expect_contains "$TMP/err" "exists and is not a socket (left in place)" "regular file refused"
expect_eq "$(cat "$TMP/plain")" "keep me" "the regular file is untouched"
mkdir "$TMP/adir"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen "unix:$TMP/adir" </dev/null
expect_rc 1 "listen on a directory"
[ -d "$TMP/adir" ] || fail "the directory was removed"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen "unix:$TMP/nodir/s" </dev/null
expect_rc 1 "listen in a missing directory"
expect_contains "$TMP/err" "ENOENT" "missing directory named"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect "unix:$TMP/nobody" </dev/null
expect_rc 1 "connect to a missing file"
expect_contains "$TMP/err" "sockit: connect unix:$TMP/nobody: No such file or directory (ENOENT)" "connect ENOENT"

# 13. Usage errors (exit 2), one line naming the problem.
LONG="unix:/tmp/$(printf 'x%.0s' $(seq 200))"
usage() {  # usage WHAT NEEDLE ARGS...
  local what=$1 needle=$2; shift 2
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" "$@" </dev/null
  expect_rc 2 "$what"
  expect_contains "$TMP/err" "$needle" "$what"
}
usage "200-byte path" "at most 107" listen "$LONG"
usage "200-byte path (connect)" "at most 107" connect "$LONG"
usage "PORT after unix:" "a unix: address has none" connect "unix:$TMP/x" 80
usage "--ttl on unix" "--ttl has no meaning on a Unix socket" connect --ttl 5 "unix:$TMP/x"
usage "--nodelay on unix" "--nodelay has no meaning on a Unix socket" listen --nodelay "unix:$TMP/x"
usage "-s on unix" "-s/--source has no meaning" connect -s 127.0.0.1 "unix:$TMP/x"
usage "--bind-dev on unix" "--bind-dev has no meaning" listen --bind-dev lo "unix:$TMP/x"
usage "-u with unix" "--unix-dgram for a datagram socket" listen -u "unix:$TMP/x"
usage "--unix-dgram without unix:" "--unix-dgram needs a unix: address" connect --unix-dgram 127.0.0.1 7
usage "--mode without unix:" "--mode needs a unix: address" listen --mode 600 0
usage "bad --mode" "bad --mode '999'" listen --mode 999 "unix:$TMP/x"
usage "--mode on an abstract name" "an abstract name has no file" listen --mode 600 "unix:@x"
usage "udp send to unix:" "" udp send "unix:$TMP/x" hi
usage "probe unix:" "" probe "unix:$TMP/x" 80
# --sndbuf still works, -v shows it.
S=$TMP/b14
bg sh -c "exec '$SOCKIT' -v listen --rcvbuf 65536 'unix:$S' </dev/null >/dev/null 2>'$TMP/l14.err'"; L=$BG_PID
wait_file "$S"
expect_contains "$TMP/l14.err" "socket option SO_RCVBUF: asked 65536" "--rcvbuf on a Unix socket"
kill -INT "$L"; wait "$L"
[ -e "$S" ] && fail "socket file left after Ctrl+C (with --rcvbuf)"
finish
