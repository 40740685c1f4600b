#!/usr/bin/env bash
# The chapter's SelectExample (compiled with fpc; bind and listen, which the chapter omits, added
# from its own CreateTCPServer: 0.0.0.0:8080) under sockit clients in a namespace of this test:
# `sockit connect` gets every byte value back, one message after the other on one connection and
# from a second client; `sockit bench` keeps 4 connections busy at once (every echoed byte checked)
# with no error.
# What is kept small on purpose, the select example's flaws (PROTOCOL.md 6.8): a recv that fills
# its 1024-byte buffer writes one byte past it (Buffer[Received] := #0), so no message and no
# bench window reaches 1024 bytes (bench depth 1, 64-byte messages); its 64 client slots are never
# reused (the 65th connection since start is written past the array), so the test opens far
# fewer; and its fpSend result is ignored, fine for echoes this small.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
need python3
chapter_build SelectExample
chapter_netns
chapter_server SelectExample 8080 tcp
SERVER=$BG_PID

# 1. Every byte value, NUL included (the server prints it as a C string, but echoes the bytes).
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$TMP/bytes"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" connect -w 5 127.0.0.1 8080 <"$TMP/bytes"
expect_rc 0 "sockit connect to SelectExample"
cmp -s "$TMP/bytes" "$TMP/got" || fail "SelectExample's echo of 256 bytes differs: $(od -An -tx1 "$TMP/got" | head -c 300)"

# 2. Three lines, 0.2 s apart, on one connection: all echoed, in order.
printf 'one\ntwo\nthree\n' >"$TMP/lines"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" connect -i 0.2 -w 5 127.0.0.1 8080 <"$TMP/lines"
expect_rc 0 "three lines on one connection"
cmp -s "$TMP/lines" "$TMP/got" || fail "three lines: got '$(cat "$TMP/got")'"

# 3. Four connections at once, 64-byte messages, depth 1, every echoed byte checked.
run "$TMP/bench" "$TMP/err" -- "${IN[@]}" "$SOCKIT" --json bench 127.0.0.1:8080 -c 4 -d 1 -s 64 -t 0.5 --warmup 0.1
expect_rc 0 "sockit bench against SelectExample"
expect_contains "$TMP/bench" '"connected":4,' "bench: 4 connections"
expect_contains "$TMP/bench" '"errors":0,' "bench: no error (every echo checked)"
expect_match "$TMP/bench" '"messages":[1-9][0-9]*,' "bench: echoes measured"

alive "$SERVER" "SelectExample"
finish
