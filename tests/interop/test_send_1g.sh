#!/usr/bin/env bash
# labels: long
# A 1 GiB random file through sockit send/recv on loopback arrives byte-exact, with the same
# XXH3-128 on both sides, and the receiver's partial file is gone.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need jq

random_file "$TMP/big.bin" $((1024 * 1024 * 1024))
mkdir "$TMP/out"
start_recv P "$TMP/recv.err" "$TMP/recv.json" --json recv 0 -o "$TMP/out"
timeout 120 "$SOCKIT" --json send "$TMP/big.bin" "127.0.0.1:$P" >"$TMP/send.json" 2>"$TMP/err"
RC=$?
expect_rc 0 "send of 1 GiB"
wait_exit "$RECV" 30
expect_rc 0 "recv of 1 GiB"
cmp "$TMP/big.bin" "$TMP/out/big.bin" || fail "1 GiB file differs"
expect_eq "$(jq -r '.items[0].hash' "$TMP/recv.json")" "$(jq -r '.items[0].hash' "$TMP/send.json")" "hashes"
expect_eq "$(jq -r '.bytes' "$TMP/recv.json")" $((1024 * 1024 * 1024)) "bytes received"
expect_eq "$(ls -A "$TMP/out")" big.bin "files in the output directory"
echo "rate: send $(jq -r '.mb_per_s' "$TMP/send.json") MB/s, recv $(jq -r '.mb_per_s' "$TMP/recv.json") MB/s"
finish
