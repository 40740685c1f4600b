#!/usr/bin/env bash
# A receiver that cannot store: a full disk (a 1 MiB tmpfs mounted inside `unshare -m`, so the
# machine's mounts are untouched) and a directory it may not write (recv as nobody). Each gives one
# clear line on both sides, exit 1, and nothing under the final name.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need_root
need unshare setpriv

random_file "$TMP/big.bin" $((3 * 1024 * 1024))
random_file "$TMP/small.bin" 1000
mnt=$TMP/full
mkdir -p "$mnt"

# The receiver runs in its own mount namespace, where $mnt is a 1 MiB tmpfs.
unshare -m true 2>/dev/null || skip "CI cannot have: unshare -m is not permitted here"
rm -f "$TMP/recv.err"  # not the last server's listening line
bg unshare -m --propagation private bash -c "mount -t tmpfs -o size=1m sockit-test \"$mnt\" && exec \"$SOCKIT\" recv 0 -o \"$mnt\" -k" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port P "$TMP/recv.err" tcp
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$TMP/big.bin" "127.0.0.1:$P"
expect_rc 1 "send to a full disk"
expect_lines "$TMP/err" 1 "sender's error"
expect_contains "$TMP/err" "receiver: .*No space left on device (ENOSPC)" "sender's line"
expect_contains "$TMP/recv.err" "sockit: .*big.bin.sockit-part: No space left on device (ENOSPC)" "receiver's line"
# A file that fits still goes through the same receiver (-k), so the full one left nothing behind.
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$TMP/small.bin" "127.0.0.1:$P"
expect_rc 0 "send of a file that fits"
# -r: the receiver's root too (entering a mount namespace resets it, which in a chroot is not ours).
ls_out=$(nsenter -t "$RECV" -m -r ls -A "$mnt" 2>&1)
expect_eq "$ls_out" "small.bin" "files on the full tmpfs"
stop_server "$RECV"

# Permission denied: the receiver runs as nobody, the directory belongs to root (0755).
mkdir -m 755 "$TMP/ro"
chmod 755 "$TMP"
rm -f "$TMP/recv.err"  # not the last server's listening line
bg setpriv --reuid=nobody --regid=nogroup --clear-groups "$SOCKIT" recv 0 -o "$TMP/ro" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port P "$TMP/recv.err" tcp
run "$TMP/send.out" "$TMP/err" -- "$SOCKIT" send "$TMP/small.bin" "127.0.0.1:$P"
expect_rc 1 "send to a directory the receiver cannot write"
expect_lines "$TMP/err" 1 "sender's error"
expect_contains "$TMP/err" "receiver: create .*small.bin.sockit-part: Permission denied (EACCES)" "sender's line"
wait_exit "$RECV" 10
expect_rc 1 "receiver without write permission"
expect_contains "$TMP/recv.err" "Permission denied (EACCES)" "receiver's line"
expect_eq "$(ls -A "$TMP/ro")" "" "files in the unwritable directory"
finish
