#!/usr/bin/env bash
# -x / --hex-dump FILE against ncat's own --hex-dump: the same bytes sent give the same dump, byte
# for byte; -x writes it to stderr, --hex-dump FILE to FILE (both at once when both are given);
# received chunks are dumped with their own offsets; a FILE that cannot be opened is one line, exit 1.
. "$SOCKIT_TEST_LIB"
need socat ncat

# 256 bytes (every printable class) and a short last line: one chunk for both programs.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) + b"tail.")' >"$TMP/data"

# A discard server for every connection.
P=$(free_port)
bg socat TCP-LISTEN:"$P",bind=127.0.0.1,reuseaddr,fork SYSTEM:"cat >/dev/null"
wait_listen "$P"

run "$TMP/out" "$TMP/err" -- ncat --send-only --hex-dump "$TMP/ncat.dump" 127.0.0.1 "$P" <"$TMP/data"
[ "$RC" -eq 0 ] || die "ncat --send-only failed: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/ncat.dump")" -eq 17 ] || die "ncat dump is not 17 lines: $(cat "$TMP/ncat.dump")"

run "$TMP/out" "$TMP/err" -- "$SOCKIT" --hex-dump "$TMP/sockit.dump" connect 127.0.0.1 "$P" <"$TMP/data"
expect_rc 0 "connect --hex-dump FILE"
cmp -s "$TMP/ncat.dump" "$TMP/sockit.dump" \
  || fail "--hex-dump FILE differs from ncat's: $(diff "$TMP/ncat.dump" "$TMP/sockit.dump" | head -8)"
[ -s "$TMP/err" ] && fail "--hex-dump FILE wrote to stderr: $(head -c 300 "$TMP/err")"

run "$TMP/out" "$TMP/err" -- "$SOCKIT" -x connect 127.0.0.1 "$P" <"$TMP/data"
expect_rc 0 "connect -x"
cmp -s "$TMP/ncat.dump" "$TMP/err" || fail "-x on stderr differs from ncat's dump: $(diff "$TMP/ncat.dump" "$TMP/err" | head -8)"

# Option after the command word, and both outputs at once.
rm -f "$TMP/sockit.dump"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect --hex-dump "$TMP/sockit.dump" -x 127.0.0.1 "$P" <"$TMP/data"
expect_rc 0 "connect --hex-dump FILE -x"
cmp -s "$TMP/ncat.dump" "$TMP/sockit.dump" || fail "--hex-dump FILE with -x: file differs from ncat's"
cmp -s "$TMP/ncat.dump" "$TMP/err" || fail "--hex-dump FILE with -x: stderr differs from ncat's"

# Received data too, each direction's offsets from 0: 'hello' out, 'world' back.
Q=$(free_port)
bg socat TCP-LISTEN:"$Q",bind=127.0.0.1,reuseaddr SYSTEM:"cat >/dev/null; printf world"
wait_listen "$Q"
printf 'hello' >"$TMP/hello"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --hex-dump "$TMP/both.dump" connect 127.0.0.1 "$Q" <"$TMP/hello"
expect_rc 0 "connect --hex-dump with a reply"
expect_eq "$(cat "$TMP/out")" "world" "stdout with --hex-dump"
{ printf '%-57s%-16s\n' "0000   68 65 6c 6c 6f" hello; printf '%-57s%-16s\n' "0000   77 6f 72 6c 64" world; } >"$TMP/want"
cmp -s "$TMP/want" "$TMP/both.dump" || fail "dump of both directions: $(cat -A "$TMP/both.dump")"

# A file that cannot be created: one line naming it, exit 1, nothing sent.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --hex-dump "$TMP/no/such/dir" connect 127.0.0.1 "$P" <"$TMP/data"
expect_rc 1 "--hex-dump into a missing directory"
expect_lines "$TMP/err" 1 "--hex-dump into a missing directory"
expect_contains "$TMP/err" "$TMP/no/such/dir" "--hex-dump error names the file"
expect_contains "$TMP/err" "ENOENT" "--hex-dump error says why"

finish
