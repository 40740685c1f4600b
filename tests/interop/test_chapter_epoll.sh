#!/usr/bin/env bash
# The chapter's HighPerformanceServer (edge-triggered epoll, 0.0.0.0:8080; compiled with fpc) under
# sockit clients in a namespace of this test: `sockit connect` gets every byte value back, then
# 3000 random bytes; three lines 0.2 s apart on one connection come back in order; `sockit bench`
# keeps 8 connections with 4 messages in flight each busy (every echoed byte checked) with no error.
# Kept small on purpose, the server's flaws (PROTOCOL.md 6.2, 6.9): it ignores what fpSend
# returns, so an echo the socket buffer cannot take at once is lost (0.7 MB of a 4 MiB echo to a
# slow reader), and a client's reset mid-burst can kill it by SIGPIPE (6.7). Each echo here is at
# most 4 KiB, one recv and one send, far below the socket buffer.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
need python3
chapter_build HighPerformanceServer
chapter_netns
chapter_server HighPerformanceServer 8080 tcp
SERVER=$BG_PID

# 1. Every byte value, then 3000 random bytes.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$TMP/bytes"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" connect -w 5 127.0.0.1 8080 <"$TMP/bytes"
expect_rc 0 "sockit connect to HighPerformanceServer"
cmp -s "$TMP/bytes" "$TMP/got" || fail "the echo of 256 bytes differs: $(od -An -tx1 "$TMP/got" | head -c 300)"
head -c 3000 /dev/urandom >"$TMP/random"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" connect -w 5 127.0.0.1 8080 <"$TMP/random"
expect_rc 0 "sockit connect, 3000 bytes"
cmp -s "$TMP/random" "$TMP/got" || fail "the echo of 3000 bytes differs ($(stat -c %s "$TMP/got") bytes back)"

# 2. Three lines, 0.2 s apart, on one connection: all echoed, in order.
printf 'one\ntwo\nthree\n' >"$TMP/lines"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" connect -i 0.2 -w 5 127.0.0.1 8080 <"$TMP/lines"
expect_rc 0 "three lines on one connection"
cmp -s "$TMP/lines" "$TMP/got" || fail "three lines: got '$(cat "$TMP/got")'"

# 3. Eight connections at once, four 64-byte messages in flight on each, every echo checked.
run "$TMP/bench" "$TMP/err" -- "${IN[@]}" "$SOCKIT" --json bench 127.0.0.1:8080 -c 8 -d 4 -s 64 -t 0.5 --warmup 0.1
expect_rc 0 "sockit bench against HighPerformanceServer"
expect_contains "$TMP/bench" '"connected":8,' "bench: 8 connections"
expect_contains "$TMP/bench" '"errors":0,' "bench: no error (every echo checked)"
expect_match "$TMP/bench" '"messages":[1-9][0-9]*,' "bench: echoes measured"

alive "$SERVER" "HighPerformanceServer"
finish
