#!/usr/bin/env bash
# --raw against netcat-openbsd both ways: `sockit send --raw` into `nc -l 127.0.0.1 PORT > out`,
# and `nc -N 127.0.0.1 PORT < in` into `sockit recv --raw --name NAME`; byte-exact, the receiver's
# JSON hash is the file's XXH3-128, --max-size holds, an existing name is not replaced.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need nc jq

random_file "$TMP/in.bin" $((2 * 1024 * 1024 + 5))
random_file "$TMP/in2.bin" 777

# sockit -> nc: two files, concatenated, as `cat in.bin in2.bin | nc -N` would send them.
bg_on_free_port NP tcp sh -c "exec nc -l 127.0.0.1 {port} > '$TMP/nc.out'"
NC=$BG_PID
run "$TMP/send.json" "$TMP/err" -- "$SOCKIT" --json send --raw "$TMP/in.bin" "$TMP/in2.bin" "127.0.0.1:$NP"
expect_rc 0 "send --raw to nc -l"
wait_exit "$NC" 10
cat "$TMP/in.bin" "$TMP/in2.bin" | cmp -s - "$TMP/nc.out" || fail "nc -l received other bytes"
expect_eq "$(jq -r '.raw' "$TMP/send.json")/$(jq -r '.files' "$TMP/send.json")" true/2 "send --raw --json"

# nc -> sockit.
mkdir "$TMP/out"
start_recv P "$TMP/recv.err" "$TMP/recv.json" --json recv 0 -o "$TMP/out" --raw --name copy.bin
timeout 20 nc -N 127.0.0.1 "$P" <"$TMP/in.bin" || fail "nc -N exited $?"
wait_exit "$RECV" 10
expect_rc 0 "recv --raw from nc -N"
cmp -s "$TMP/in.bin" "$TMP/out/copy.bin" || fail "recv --raw stored other bytes"
expect_eq "$(stat -c %a "$TMP/out/copy.bin")" "$(printf '%o' $(( 0666 & ~0$(umask) )))" "mode of a raw file (0666 & ~umask)"
expect_eq "$(jq -r '.items[0].size' "$TMP/recv.json")" $((2 * 1024 * 1024 + 5)) "recv --raw --json size"
# The same hash sockit send computes for that file.
start_recv P "$TMP/recv2.err" "$TMP/recv2.out" recv 0 -o "$TMP/out" --raw --name other.bin
run "$TMP/send2.json" "$TMP/err" -- "$SOCKIT" --json send --raw "$TMP/in.bin" "127.0.0.1:$P"
wait_exit "$RECV" 10
expect_eq "$(jq -r '.items[0].hash' "$TMP/recv.json")" "$(jq -r '.items[0].hash' "$TMP/send2.json")" "raw hashes"

# An existing name is refused before listening; --max-size stops a stream that is too long.
run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" recv 0 -o "$TMP/out" --raw --name copy.bin
expect_rc 1 "recv --raw onto an existing name"
expect_contains "$TMP/err" "'copy.bin' exists in" "existing name"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out" --raw --name capped.bin --max-size 1000
timeout 20 nc -N 127.0.0.1 "$P" <"$TMP/in.bin" >/dev/null 2>&1
wait_exit "$RECV" 10
expect_rc 1 "recv --raw over --max-size"
expect_contains "$TMP/recv.err" "more than --max-size (1000 bytes) arrived; not stored" "--max-size line"
expect_no_file "$TMP/out/capped.bin" "file over --max-size"
expect_no_file "$TMP/out/.capped.bin.sockit-part" "partial file over --max-size"
finish
