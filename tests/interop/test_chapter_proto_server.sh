#!/usr/bin/env bash
# sockit proto call against the chapter's CustomProtocolServer (compiled with fpc, 0.0.0.0:8080 in a
# namespace of this test): PING, ECHO with text, TIME in the chapter's d-m-yy hh:nn:ss, an unknown
# command (RESP_ERROR, exit 1, the connection stays usable), QUIT (Goodbye); all of them pipelined
# on one connection; --count; a 4000-byte ECHO; and the exact bytes of PING's and QUIT's answers
# in the hex dump (PROTOCOL.md section 2). The server sends each answer as two segments, header
# then payload (PROTOCOL.md 6.15), which our client must put together.
# Not tested: the server's one-recv reads (6.1), and 4096-byte payloads (6.5), flaws of the server.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
chapter_build CustomProtocolServer
chapter_netns
chapter_server CustomProtocolServer 8080 tcp
SERVER=$BG_PID

c() { run "$TMP/out" "$TMP/err" -- "${IN[@]}" "$SOCKIT" "$@"; }
c proto call -w 5 127.0.0.1:8080 ping;              expect_rc 0 "ping"
expect_eq "$(cat "$TMP/out")" "OK PONG" "ping"
c proto call -w 5 127.0.0.1:8080 echo Bonjour serveur!;  expect_rc 0 "echo"
expect_eq "$(cat "$TMP/out")" "OK Echo: Bonjour serveur!" "echo"
c proto call -w 5 127.0.0.1:8080 echo "héllo  wörld";  expect_rc 0 "echo UTF-8, two spaces"
expect_eq "$(cat "$TMP/out")" "OK Echo: héllo  wörld" "echo UTF-8, two spaces"
c proto call -w 5 127.0.0.1:8080 time;              expect_rc 0 "time"
# DateTimeToStr(Now) (PROTOCOL.md section 4): day and month without leading zeros, 2-digit year;
# at exactly midnight the time part is left out.
expect_match "$TMP/out" '^OK [0-9]{1,2}-[0-9]{1,2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?$' "time in the chapter's format"
c proto call -w 5 127.0.0.1:8080 raw 99 x;          expect_rc 1 "unknown command (an ERROR status exits 1)"
expect_eq "$(cat "$TMP/out")" "ERROR Unknown command" "unknown command"
c proto call -w 5 127.0.0.1:8080 quit;              expect_rc 0 "quit"
expect_eq "$(cat "$TMP/out")" "OK Goodbye" "quit"

# Everything on one connection, pipelined from stdin: the answers in order, and after the unknown
# command the connection still serves.
printf 'ping\necho a  b\ntime\nraw 99\nping\nquit\n' >"$TMP/script"
run "$TMP/out" "$TMP/err" -- "${IN[@]}" sh -c "'$SOCKIT' proto call -w 5 127.0.0.1:8080 <'$TMP/script'"
expect_rc 1 "pipelined (one ERROR: exit 1)"
expect_lines "$TMP/out" 6 "pipelined answers"
expect_eq "$(sed -n 1p "$TMP/out")|$(sed -n 2p "$TMP/out")|$(sed -n 4p "$TMP/out")|$(sed -n 5p "$TMP/out")|$(sed -n 6p "$TMP/out")" \
  "OK PONG|OK Echo: a  b|ERROR Unknown command|OK PONG|OK Goodbye" "pipelined answers in order"
grep -Eq '^OK [0-9]{1,2}-[0-9]{1,2}-[0-9]{2}' <(sed -n 3p "$TMP/out") || fail "pipelined time: $(sed -n 3p "$TMP/out")"

# --count on one connection.
c proto call -w 5 127.0.0.1:8080 ping -c 5 -i 0.01;  expect_rc 0 "ping -c 5"
expect_contains "$TMP/out" "5 requests sent, 5 answered, 0% lost" "ping -c 5"
[ "$(grep -c '^OK PONG ' "$TMP/out")" -eq 5 ] || fail "ping -c 5: $(cat "$TMP/out")"

# A 4000-byte ECHO: the 4006-byte answer is within the server's and our limits.
text=$(printf 'x%.0s' $(seq 4000))
c proto call -w 5 127.0.0.1:8080 echo "$text";      expect_rc 0 "echo 4000 bytes"
expect_eq "$(cat "$TMP/out")" "OK Echo: $text" "echo 4000 bytes"

# The bytes of the answers, as captured from the chapter (PROTOCOL.md section 2): -x dumps what
# goes out (the request) and what comes in (the answer), one block each.
hexbytes() { sed -n -E 's/^[0-9a-f]{4,8}   ((([0-9a-f]{2}) +)+) .*/\1/p' "$1" | tr -s ' ' ' ' | sed 's/ $//' | tr '\n' ' ' | sed 's/ $//'; }
c -x proto call -w 5 127.0.0.1:8080 ping;           expect_rc 0 "ping -x"
expect_eq "$(hexbytes "$TMP/err")" "04 00 00 00 00 00 00 00 00 04 00 00 34 01 00 00 50 4f 4e 47" "PING's bytes both ways"
c -x proto call -w 5 127.0.0.1:8080 quit;           expect_rc 0 "quit -x"
expect_eq "$(hexbytes "$TMP/err")" "03 00 00 00 00 00 00 00 00 07 00 00 c9 02 00 00 47 6f 6f 64 62 79 65" "QUIT's bytes both ways"
c -x proto call -w 5 127.0.0.1:8080 echo abc;       expect_rc 0 "echo abc -x"
expect_eq "$(hexbytes "$TMP/err")" "01 03 00 00 26 01 00 00 61 62 63 00 09 00 00 ff 02 00 00 45 63 68 6f 3a 20 61 62 63" "ECHO 'abc' bytes both ways"

alive "$SERVER" "CustomProtocolServer"
finish
