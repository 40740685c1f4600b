#!/usr/bin/env bash
# Transfers that break: a receiver killed mid-transfer leaves nothing under the final name and
# `--resume` on both sides completes the file from what it kept (sending only the rest); a killed
# sender leaves the receiver reporting a truncated transfer with exit 1 and no file; a byte flipped
# in flight (by a test relay) is caught by the XXH3-128 check on both sides.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need python3 jq

src=$TMP/data.bin out=$TMP/out
mkdir -p "$out"
random_file "$src" $((8 * 1024 * 1024))
hdr=$((6 + 31 + 8))  # the header's size for the name "data.bin"

# 1. The receiver is killed while the relay holds the rest back: 3 MiB of the body arrived.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out" --resume
start_relay R "$P" --stall-after $((hdr + 14 + 3 * 1024 * 1024))  # + the start message (resume)
bg "$SOCKIT" send --resume "$src" "127.0.0.1:$R" 2>"$TMP/send1.err"
SEND=$BG_PID
part=$out/.data.bin.sockit-part
for _ in $(seq 100); do [ "$(stat -c %s "$part" 2>/dev/null)" = $((3 * 1024 * 1024)) ] && break; sleep 0.1; done
expect_eq "$(stat -c %s "$part" 2>/dev/null)" $((3 * 1024 * 1024)) "partial file before the kill"
kill -9 "$RECV"
wait_exit "$SEND" 10
expect_rc 1 "sender whose receiver was killed"
expect_no_file "$out/data.bin" "final name after the receiver was killed"
expect_eq "$(stat -c %a "$part")" 600 "partial file mode"
# 2. A new receiver with --resume, a sender with --resume: only the rest crosses. This receiver
# splices (--copy splice): its hash thread continues from the offered prefix's hash.
start_recv P "$TMP/recv.err" "$TMP/recv.json" --json recv 0 -o "$out" --resume --copy splice
run "$TMP/send.json" "$TMP/err" -- "$SOCKIT" --json send --resume "$src" "127.0.0.1:$P"
expect_rc 0 "resumed send"
wait_exit "$RECV" 10
expect_rc 0 "resumed recv"
cmp -s "$src" "$out/data.bin" || fail "resumed file differs"
expect_no_file "$part" "partial file after the resume"
expect_eq "$(jq -r '.items[0].resumed_from' "$TMP/send.json")" $((3 * 1024 * 1024)) "send --json resumed_from"
expect_eq "$(jq -r '.bytes' "$TMP/recv.json")" $((5 * 1024 * 1024)) "recv --json bytes (only the rest)"

# 3. A partial file whose bytes differ from the sender's: the sender starts over.
rm -f "$out/data.bin"
head -c 1000 /dev/urandom >"$part"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out" --resume
run "$TMP/send.json" "$TMP/err" -- "$SOCKIT" --json send --resume "$src" "127.0.0.1:$P"
expect_rc 0 "send over a mismatching partial file"
wait_exit "$RECV" 10
cmp -s "$src" "$out/data.bin" || fail "file after a mismatching partial file differs"
expect_eq "$(jq -r '.items[0].resumed_from' "$TMP/send.json")" 0 "resumed_from with a mismatching prefix"

# 4. Without --resume a receiver drops what an interrupted transfer left.
rm -f "$out/data.bin"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out"
start_relay R "$P" --stall-after $((hdr + 1024 * 1024))
bg "$SOCKIT" send "$src" "127.0.0.1:$R" 2>"$TMP/send4.err"
SEND=$BG_PID
for _ in $(seq 100); do [ "$(stat -c %s "$part" 2>/dev/null)" = $((1024 * 1024)) ] && break; sleep 0.1; done
kill -9 "$SEND"  # the killed sender: the relay passes its close on
wait_exit "$RECV" 10
expect_rc 1 "receiver of a killed sender"
expect_contains "$TMP/recv.err" "sockit: 'data.bin': transfer truncated at 1048576 of 8388608 bytes" "receiver's line"
expect_no_file "$out/data.bin" "final name after the sender was killed"
expect_no_file "$part" "partial file without --resume"

# 5. One byte flipped in flight: caught by the hash on both sides, nothing stored.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out"
start_relay R "$P" --flip-at $((hdr + 4 * 1024 * 1024 + 17))
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$src" "127.0.0.1:$R"
expect_rc 1 "sender of a corrupted transfer"
expect_lines "$TMP/err" 1 "sender's error"
expect_contains "$TMP/err" "receiver: 'data.bin': content hash mismatch" "sender's line"
wait_exit "$RECV" 10
expect_rc 1 "receiver of a corrupted transfer"
expect_contains "$TMP/recv.err" "sockit: 'data.bin': content hash mismatch (received [0-9a-f]\{32\}, sender says [0-9a-f]\{32\})" "receiver's line"
expect_no_file "$out/data.bin" "final name after a corrupted transfer"
expect_no_file "$part" "partial file after a corrupted transfer"
finish
