#!/usr/bin/env bash
# sockit proto serve and call, the ordinary cases: the chapter's exact bytes through nc (the
# captured hex dumps of PROTOCOL.md section 2), each command through our client, --json, TIME's
# default ISO 8601 text and --time-format, pipelined stdin, --count statistics, and v2 on both sides
# (a v1 client still served by a --v2 server).
. "$SOCKIT_TEST_LIB"
need nc od
bg "$SOCKIT" proto serve --port 0 --v2 >"$TMP/server.out" 2>"$TMP/server.err"
SERVER=$BG_PID
listening_port P "$TMP/server.err" tcp proto
expect_contains "$TMP/server.out" "127.0.0.1:$P" "listening line"

# wire REQUEST-PRINTF: the server's answer bytes as "xx xx ..." (nc half-closes; the server then
# finishes and closes).
wire() { printf "$1" | timeout 5 nc -N 127.0.0.1 "$P" | od -An -v -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
expect_eq "$(wire '\x04\x00\x00\x00\x00\x00\x00\x00')" "00 04 00 00 34 01 00 00 50 4f 4e 47" "PING golden bytes"
expect_eq "$(wire '\x01\x03\x00\x00\x26\x01\x00\x00abc')" "00 09 00 00 ff 02 00 00 45 63 68 6f 3a 20 61 62 63" "ECHO 'abc' golden bytes"
expect_eq "$(wire '\x01\x00\x00\x00\x00\x00\x00\x00')" "00 06 00 00 d9 01 00 00 45 63 68 6f 3a 20" "ECHO '' golden bytes"
expect_eq "$(wire '\x03\x00\x00\x00\x00\x00\x00\x00')" "00 07 00 00 c9 02 00 00 47 6f 6f 64 62 79 65" "QUIT golden bytes"
expect_eq "$(wire '\x63\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00')" \
  "01 0f 00 00 ef 05 00 00 55 6e 6b 6e 6f 77 6e 20 63 6f 6d 6d 61 6e 64 00 04 00 00 34 01 00 00 50 4f 4e 47" \
  "unknown command, then PING on the same connection"
# QUIT closes the connection even though nc never half-closes (no -N): the FIN ends nc.
got=$(printf '\x03\x00\x00\x00\x00\x00\x00\x00' | timeout 5 nc 127.0.0.1 "$P" | od -An -tx1 | wc -w)
expect_eq "$got" "15" "QUIT: Goodbye then FIN"

c() { run "$TMP/out" "$TMP/err" -- "$SOCKIT" "$@"; }
c proto call "127.0.0.1:$P" ping;              expect_rc 0 "ping"; expect_eq "$(cat "$TMP/out")" "OK PONG" "ping"
c proto call "127.0.0.1:$P" echo hello world;  expect_rc 0 "echo"; expect_eq "$(cat "$TMP/out")" "OK Echo: hello world" "echo"
c proto call "127.0.0.1:$P" quit;              expect_rc 0 "quit"; expect_eq "$(cat "$TMP/out")" "OK Goodbye" "quit"
c proto call "127.0.0.1:$P" raw 99 x;          expect_rc 1 "raw 99 (an ERROR status exits 1)"
expect_eq "$(cat "$TMP/out")" "ERROR Unknown command" "raw 99"
c proto call "127.0.0.1:$P" time;              expect_rc 0 "time"
grep -Eq '^OK [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$' "$TMP/out" \
  || fail "TIME is not ISO 8601 with an offset: $(cat "$TMP/out")"
c proto call "127.0.0.1:$P" bogus;             expect_rc 2 "unknown client command is a usage error"
c proto call "127.0.0.1:1" ping;               expect_rc 1 "refused"
expect_contains "$TMP/err" "ECONNREFUSED" "refused message"
c --json proto call "127.0.0.1:$P" echo 'a"b';  expect_rc 0 "json"
expect_contains "$TMP/out" '"status":0' "json status"
expect_contains "$TMP/out" '"payload":"Echo: a\\"b"' "json payload"
expect_contains "$TMP/out" '"rtt_ms":' "json rtt"
if command -v jq >/dev/null; then jq -e . "$TMP/out" >/dev/null || fail "--json is not JSON: $(cat "$TMP/out")"; fi

# Everything after echo/raw is text, dashes included; never our own options (-x is the hexdump).
c proto call "127.0.0.1:$P" echo -x --y;       expect_rc 0 "echo -x --y"
expect_eq "$(cat "$TMP/out")" "OK Echo: -x --y" "echo -x --y sends the text"
[ -s "$TMP/err" ] && fail "echo -x --y wrote to stderr (hexdump turned on?): $(head -c 200 "$TMP/err")"
c proto call "127.0.0.1:$P" echo -- -x;        expect_eq "$(cat "$TMP/out")" "OK Echo: -x" "echo -- -x"
c proto call "127.0.0.1:$P" -- echo -x;        expect_eq "$(cat "$TMP/out")" "OK Echo: -x" "-- echo -x"
c proto call "127.0.0.1:$P" echo -c 3 -w 1;    expect_eq "$(cat "$TMP/out")" "OK Echo: -c 3 -w 1" "echo text that looks like options"
c proto call "127.0.0.1:$P" raw 1 -v;          expect_eq "$(cat "$TMP/out")" "OK Echo: -v" "raw text after the code"
c proto call "127.0.0.1:$P" ping -c 2 -i 0 --json; expect_rc 0 "options after ping"
expect_lines "$TMP/out" 3 "ping -c 2 --json: two answers and a summary"
c proto call "127.0.0.1:$P" ping --bogus;      expect_rc 2 "unknown option after ping"
# --json keeps UTF-8 text as it is; a payload that is not UTF-8 goes in payload_base64.
c --json proto call "127.0.0.1:$P" echo 'héllo wörld';  expect_rc 0 "json utf-8"
expect_contains "$TMP/out" '"payload":"Echo: héllo wörld"' "json keeps valid UTF-8"
c --json proto call "127.0.0.1:$P" echo "$(printf 'a\xffb')";  expect_rc 0 "json non-UTF-8"
expect_contains "$TMP/out" '"payload_base64":"RWNobzogYf9i"' "json gives a payload that is not UTF-8 in base64"

# Pipelined stdin: every answer, in order.
printf 'ping\necho one two\n\n# a comment\nraw 4\ntime\nquit\n' >"$TMP/script"
run "$TMP/out" "$TMP/err" -- sh -c "'$SOCKIT' proto call 127.0.0.1:$P <'$TMP/script'"
expect_rc 0 "stdin script"
expect_lines "$TMP/out" 5 "stdin script"
expect_eq "$(sed -n 1p "$TMP/out")|$(sed -n 2p "$TMP/out")|$(sed -n 3p "$TMP/out")|$(sed -n 5p "$TMP/out")" \
  "OK PONG|OK Echo: one two|OK PONG|OK Goodbye" "stdin answers in order"

# --count: ping-like statistics.
c proto call "127.0.0.1:$P" ping -c 5 -i 0.02; expect_rc 0 "count"
expect_lines "$TMP/out" 8 "count output"
expect_contains "$TMP/out" "5 requests sent, 5 answered, 0% lost" "count summary"
expect_contains "$TMP/out" "rtt min/avg/max/p50/p90/p99 = " "count rtt line"

# v2 on both sides; the ids come back.
c --json proto call "127.0.0.1:$P" --v2 -c 2 -i 0 echo v2; expect_rc 0 "v2"
expect_contains "$TMP/out" '"version":2' "v2 answer"
expect_contains "$TMP/out" '"id":2' "v2 request id"
# A v2 client against a v1-only server gets a refusal, not a hang.
bg "$SOCKIT" proto serve --port 0 --time-format '%-d-%-m-%y %H:%M:%S' >/dev/null 2>"$TMP/server1.err"
listening_port P1 "$TMP/server1.err" tcp proto
c proto call "127.0.0.1:$P1" time; expect_rc 0 "chapter time format"
grep -Eq '^OK [0-9]{1,2}-[0-9]{1,2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' "$TMP/out" || fail "--time-format: $(cat "$TMP/out")"
c proto call "127.0.0.1:$P1" --v2 -w 3 ping;  expect_rc 1 "v2 client, v1-only server"
expect_contains "$TMP/err" "answered in v1 (a server without --v2?): ERROR Payload too large: 19283 bytes (limit 4096)" \
  "v2 client shows the v1-only server's own reason"
# A TIME text longer than strftime's first buffer is answered whole; past the frame's limit, refused.
long=$(printf 'x%.0s' $(seq 600))
bg "$SOCKIT" proto serve --port 0 --time-format "$long %Y" >/dev/null 2>"$TMP/server2.err"
listening_port P2 "$TMP/server2.err" tcp proto
c proto call "127.0.0.1:$P2" time; expect_rc 0 "a 605-byte TIME text"
grep -Eq "^OK $long [0-9]{4}\$" "$TMP/out" || fail "long --time-format: $(head -c 100 "$TMP/out")"
bg "$SOCKIT" proto serve --port 0 --time-format "$long$long$long$long$long$long$long" >/dev/null 2>"$TMP/server3.err"
listening_port P3 "$TMP/server3.err" tcp proto
c proto call "127.0.0.1:$P3" time; expect_rc 1 "a TIME text over the limit"
expect_contains "$TMP/out" "ERROR Response too large: TIME would answer 4200 bytes (limit 4096)" "the refusal says why"

kill -0 "$SERVER" 2>/dev/null || fail "server died"
finish
