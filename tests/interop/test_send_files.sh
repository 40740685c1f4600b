#!/usr/bin/env bash
# sockit send/recv: many small files and an empty one arrive byte-exact with their modes
# (& ~umask), the JSON summaries agree, recv exits after one sender (and keeps going with -k), an
# existing file is refused on both sides without --force and replaced with it, --max-size refuses.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need jq script

src=$TMP/src out=$TMP/out
mkdir -p "$src" "$out"
for i in $(seq 1 60); do random_file "$src/f$i.bin" $(( (RANDOM * 7) % 70000 )); done
: >"$src/empty"
printf 'hello\n' >"$src/script.sh"
chmod 755 "$src/script.sh"
chmod 604 "$src/f1.bin"

# One sender, every file; the receiver exits 0 by itself.
start_recv P "$TMP/recv.err" "$TMP/recv.json" --json recv 0 -o "$out"
run "$TMP/send.json" "$TMP/err" -- "$SOCKIT" --json send "$src"/* "127.0.0.1:$P"
expect_rc 0 "send of 62 files"
expect_eq "$(cat "$TMP/err")" "" "sender's stderr when it is not a terminal"
wait_exit "$RECV" 10
expect_rc 0 "recv after one sender"
for f in "$src"/*; do cmp -s "$f" "$out/$(basename "$f")" || fail "$(basename "$f") differs"; done
expect_eq "$(ls -A "$out" | wc -l)" 62 "files in the output directory (no partial files left)"
expect_eq "$(stat -c %a "$out/script.sh")" 755 "mode of script.sh"
expect_eq "$(stat -c %a "$out/f1.bin")" 604 "mode of f1.bin"
expect_eq "$(jq -r '.files' "$TMP/send.json")" 62 "send --json files"
expect_eq "$(jq -r '.role' "$TMP/send.json")/$(jq -r '.role' "$TMP/recv.json")" send/recv "roles"
expect_eq "$(jq -r '.bytes' "$TMP/send.json")" "$(cat "$src"/* | wc -c)" "send --json bytes"
expect_eq "$(jq -c '[.items[] | .hash]' "$TMP/send.json")" "$(jq -c '[.items[] | .hash]' "$TMP/recv.json")" "hashes on both sides"
expect_eq "$(jq -r '.items[] | select(.name == "empty") | .hash' "$TMP/recv.json")" 99aa06d3014798d86001c324468d497f "XXH3-128 of the empty file"
jq -e '.seconds > 0 and .mb_per_s >= 0' "$TMP/send.json" >/dev/null || fail "seconds / mb_per_s: $(cat "$TMP/send.json")"

# On a terminal, a progress line per file (script(1) gives the sender one).
expect_eq "$(grep -c . "$TMP/recv.err")" 2 "receiver's stderr (the two listening lines) when it is not a terminal"
mkdir "$TMP/out4"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out4" --copy splice  # the other receive path
timeout 20 script -qec "\"$SOCKIT\" send \"$src/f3.bin\" \"$src/empty\" 127.0.0.1:$P" /dev/null >"$TMP/tty.out" 2>&1
RC=$?
expect_rc 0 "send on a terminal"
expect_match "$TMP/tty.out" "f3\.bin \[=+\] 100% .* / .*  [0-9.]+ MB/s  ETA done" "progress line of f3.bin"
expect_match "$TMP/tty.out" "empty .*100% 0 B / 0 B" "progress line of the empty file"
wait_exit "$RECV" 10
expect_rc 0 "recv --copy splice"
cmp -s "$src/f3.bin" "$TMP/out4/f3.bin" || fail "recv --copy splice: f3.bin differs"

# The umask applies to the sender's mode.
mkdir "$TMP/out2"
bg bash -c "umask 077; exec \"$SOCKIT\" recv 0 -o \"$TMP/out2\"" 2>"$TMP/recv2.err"
RECV=$BG_PID
listening_port P "$TMP/recv2.err" tcp
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$src/script.sh" "127.0.0.1:$P"
expect_rc 0 "send under umask 077"
wait_exit "$RECV" 10
expect_eq "$(stat -c %a "$TMP/out2/script.sh")" 700 "mode 755 & ~077"

# An existing file: refused on both sides, one line each, nothing replaced.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out"
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$src/f2.bin" "127.0.0.1:$P"
expect_rc 1 "send of an existing file"
expect_lines "$TMP/err" 1 "sender's error"
expect_contains "$TMP/err" "receiver: refused 'f2.bin': .* exists (the receiver needs --force" "sender's error"
wait_exit "$RECV" 10
expect_rc 1 "recv refusing an existing file"
expect_contains "$TMP/recv.err" "sockit: refused 'f2.bin'" "receiver's error"
expect_eq "$(grep -c '^sockit: refused' "$TMP/recv.err")" 1 "one error line at the receiver"
cmp -s "$src/f2.bin" "$out/f2.bin" || fail "f2.bin changed"
# --force replaces it.
printf 'new content\n' >"$TMP/f2.bin"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out" --force
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$TMP/f2.bin" "127.0.0.1:$P"
expect_rc 0 "send with --force at the receiver"
wait_exit "$RECV" 10
cmp -s "$TMP/f2.bin" "$out/f2.bin" || fail "--force did not replace f2.bin"

# --max-size, and -k: two senders in turn, the first refused.
random_file "$TMP/big.bin" 5000
mkdir -p "$TMP/out3"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out3" -k --max-size 4096
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$TMP/big.bin" "127.0.0.1:$P"
expect_rc 1 "send over --max-size"
expect_contains "$TMP/err" "over the receiver's --max-size of 4096 bytes" "sender's --max-size error"
random_file "$TMP/small.bin" 4096
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$TMP/small.bin" "127.0.0.1:$P"
expect_rc 0 "second sender with -k"
cmp -s "$TMP/small.bin" "$TMP/out3/small.bin" || fail "small.bin after -k"
kill -0 "$RECV" 2>/dev/null || fail "recv -k exited"
stop_server "$RECV"
expect_rc 0 "recv -k stopped by SIGTERM while idle"
expect_no_file "$TMP/out3/big.bin" "refused file"
finish
