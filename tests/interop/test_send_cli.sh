#!/usr/bin/env bash
# send/recv's command line and signals: hostile option values (NaN, inf, negative, huge, "1e3")
# and malformed arguments are one usage line with exit 2; missing files, directories, duplicate
# names, a missing output directory are one line with exit 1; Ctrl+C mid-transfer at either end
# and a peer that resets the connection end both sides with one line and exit 1, nothing stored.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need python3

random_file "$TMP/a.bin" 1000
random_file "$TMP/big.bin" $((16 * 1024 * 1024))
mkdir -p "$TMP/dir" "$TMP/out"

usage() {  # expected-exit args...
  local want=$1
  shift
  run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" "$@"
  [ "$RC" -eq "$want" ] || fail "sockit $*: expected exit $want, got $RC ($(head -c 200 "$TMP/err"))"
  [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "sockit $*: expected one line, got: $(head -c 300 "$TMP/err")"
  grep -q '^sockit: ' "$TMP/err" || fail "sockit $*: not a sockit: line: $(head -c 200 "$TMP/err")"
}
usage 2 send
usage 2 send "$TMP/a.bin"
usage 2 send "$TMP/a.bin" nohostport
usage 2 send "$TMP/a.bin" 127.0.0.1:0
usage 2 send "$TMP/a.bin" 127.0.0.1:65536
usage 2 send "$TMP/a.bin" 127.1:9
for v in nan inf -1 0 1e400 abc 99999999999; do usage 2 send -w "$v" "$TMP/a.bin" 127.0.0.1:9; done
usage 1 send "$TMP/missing" 127.0.0.1:9
usage 1 send "$TMP/dir" 127.0.0.1:9
usage 1 send "$TMP/a.bin" "$TMP/dir/../a.bin" 127.0.0.1:9
usage 2 recv
usage 2 recv 65536
usage 2 recv 1.2.3.4.5:9
for v in nan inf -1 0 1e3 1.5 99999999999999999999999; do usage 2 recv 0 --max-size "$v"; done
for v in nan -1 0; do usage 2 recv 0 -w "$v"; done
usage 2 recv 0 --raw
usage 2 recv 0 --name x
usage 2 recv 0 --raw --name ../x
usage 2 recv 0 --raw --resume --name x
usage 2 recv 0 --raw --name x -k  # every stream after the first would be lost (or replace the last)
usage 2 send --raw --resume "$TMP/a.bin" 127.0.0.1:9
usage 1 recv 0 -o "$TMP/missing"
expect_contains "$TMP/err" "output directory .*missing: No such file or directory (ENOENT)" "missing -o"
# A file whose name a receiver would refuse is refused before connecting; the line shows the name
# escaped, on one line (no raw newline or terminal escape).
printf x >"$TMP/dir/.n.sockit-part"
usage 1 send "$TMP/dir/.n.sockit-part" 127.0.0.1:9
mkdir "$TMP/odd"
printf x >"$TMP/odd/a
b"
usage 1 send "$TMP/odd/a
b" 127.0.0.1:9
expect_contains "$TMP/err" 'odd/a.x0ab' "a newline in a name, escaped"
printf x >"$TMP/odd/e$(printf '\033')[31m"
usage 1 send "$TMP/odd/e$(printf '\033')[31m" 127.0.0.1:9
grep -q "$(printf '\033')" "$TMP/err" && fail "a terminal escape reached stderr raw"
# A FIFO is not a regular file: said at once, not after waiting for a writer.
mkfifo "$TMP/fifo"
usage 1 send "$TMP/fifo" 127.0.0.1:9
expect_contains "$TMP/err" "not a regular file" "a FIFO"
# Nobody listening.
run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" send "$TMP/a.bin" "127.0.0.1:$(free_port)"
expect_rc 1 "send with nobody listening"
expect_contains "$TMP/err" "Connection refused (ECONNREFUSED)" "refused connection"

# The destination as every non-netcat command takes it: PORT and :PORT are this machine.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out" -k
cp "$TMP/a.bin" "$TMP/bare.bin"; cp "$TMP/a.bin" "$TMP/colon.bin"
run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" send "$TMP/bare.bin" "$P"
expect_rc 0 "send to PORT"
run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" send "$TMP/colon.bin" ":$P"
expect_rc 0 "send to :PORT"
cmp -s "$TMP/a.bin" "$TMP/out/bare.bin" && cmp -s "$TMP/a.bin" "$TMP/out/colon.bin" || fail "PORT / :PORT: files not stored"
stop_server "$RECV"
rm -f "$TMP/out/bare.bin" "$TMP/out/colon.bin"
# A last word that is both a file here and a port (a forgotten destination) is refused.
sockit_abs=$(realpath "$SOCKIT")
(cd "$TMP" && cp a.bin echo && run "$TMP/out.txt" "$TMP/err" -- "$sockit_abs" send a.bin echo; echo "$RC" >"$TMP/rc")
expect_eq "$(cat "$TMP/rc")" 2 "send a.bin echo (a file named echo here)"
expect_contains "$TMP/err" "bad destination 'echo': a file of that name is here too" "send a.bin echo"
# A file whose size says 0 but has content (procfs) would arrive empty: refused.
usage 1 send /proc/self/status 127.0.0.1:9
expect_contains "$TMP/err" "its size says 0 but it has content" "a /proc file"

# Ctrl+C while the connect hangs (a listener whose accept queue is full drops the SYN): exit 1 at
# once, not after -w.
cat >"$TMP/full.py" <<'PY'
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
c = socket.create_connection(l.getsockname())  # fills the queue of one
print(l.getsockname()[1], flush=True)
time.sleep(30)
PY
bg python3 "$TMP/full.py" >"$TMP/full.port"
FULL=$BG_PID
wait_nonempty "$TMP/full.port"
bg "$SOCKIT" send -w 20 "$TMP/a.bin" "127.0.0.1:$(cat "$TMP/full.port")" 2>"$TMP/send.err"
SEND=$BG_PID
sleep 0.5
kill -0 "$SEND" 2>/dev/null || fail "send did not wait for the connect: $(cat "$TMP/send.err")"
kill -INT "$SEND"
wait_exit "$SEND" 3
expect_rc 1 "sender interrupted while connecting"
expect_contains "$TMP/send.err" "^sockit: interrupted: connect 127.0.0.1:.* did not finish" "the connect's Ctrl+C line"
kill "$FULL" 2>/dev/null

hdr=$((6 + 31 + 7))
# Ctrl+C at the sender while the relay holds the body back.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out"
start_relay R "$P" --stall-after $((hdr + 1000000))
bg "$SOCKIT" send "$TMP/big.bin" "127.0.0.1:$R" 2>"$TMP/send.err"
SEND=$BG_PID
for _ in $(seq 100); do [ "$(stat -c %s "$TMP/out/.big.bin.sockit-part" 2>/dev/null)" = 1000000 ] && break; sleep 0.1; done
kill -INT "$SEND"
wait_exit "$SEND" 10
expect_rc 1 "sender after Ctrl+C"
expect_contains "$TMP/send.err" "^sockit: interrupted: " "sender's Ctrl+C line"
wait_exit "$RECV" 10
expect_rc 1 "receiver of an interrupted sender"
expect_contains "$TMP/recv.err" "transfer truncated at 1000000 of 16777216 bytes" "receiver's line"
expect_eq "$(ls -A "$TMP/out")" "" "files after Ctrl+C at the sender"

# Ctrl+C at the receiver: it tells the sender, drops the partial file.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out"
start_relay R "$P" --stall-after $((hdr + 1000000))
bg "$SOCKIT" send "$TMP/big.bin" "127.0.0.1:$R" 2>"$TMP/send.err"
SEND=$BG_PID
for _ in $(seq 100); do [ "$(stat -c %s "$TMP/out/.big.bin.sockit-part" 2>/dev/null)" = 1000000 ] && break; sleep 0.1; done
kill -INT "$RECV"
wait_exit "$RECV" 10
expect_rc 1 "receiver after Ctrl+C"
expect_contains "$TMP/recv.err" "^sockit: interrupted: receive 'big.bin' did not finish" "receiver's Ctrl+C line"
wait_exit "$SEND" 10
expect_rc 1 "sender whose receiver was interrupted"
expect_contains "$TMP/send.err" "^sockit: receiver: interrupted: receive 'big.bin' did not finish" "sender's line"
expect_eq "$(ls -A "$TMP/out")" "" "files after Ctrl+C at the receiver"
# Waiting for a sender, Ctrl+C ends recv at once with 0.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out"
kill -INT "$RECV"
wait_exit "$RECV" 5
expect_rc 0 "idle receiver after Ctrl+C"

# Peers that reset the connection (SO_LINGER 0).
cat >"$TMP/rst.py" <<'PY'
import socket, struct, sys, time
if sys.argv[1] == "recv":  # a receiver that resets after the first bytes
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1); print(l.getsockname()[1], flush=True)
    c, _ = l.accept(); c.recv(100); time.sleep(0.2)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close()
else:  # a sender that resets in the middle of a body
    s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    name = b"x.bin"
    s.sendall(b"SKXF\x01H" + struct.pack(">BIQ", 0, 0o644, 10**6) + bytes(16) + struct.pack(">H", len(name)) + name + b"a" * 1000)
    time.sleep(0.3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()
PY
# A receiver that reads everything and never answers (nor closes): the sender's line says the file
# went out unconfirmed, not that nothing was taken; in --raw, that the peer did not close.
cat >"$TMP/mute.py" <<'PY'
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4); print(l.getsockname()[1], flush=True)
end = time.time() + 20
while time.time() < end:
    c, _ = l.accept(); c.settimeout(3)
    try:
        while c.recv(65536): pass
    except OSError: pass
PY
bg python3 "$TMP/mute.py" >"$TMP/mute.port"
MUTE=$BG_PID
wait_nonempty "$TMP/mute.port"
run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" send -w 1 "$TMP/a.bin" "127.0.0.1:$(cat "$TMP/mute.port")"
expect_rc 1 "sender to a receiver that never acknowledges"
expect_contains "$TMP/err" "a.bin: sent, but 127.0.0.1:[0-9]* did not acknowledge it within 1 s (not confirmed stored)" "no ack"
run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" send --raw -w 1 "$TMP/a.bin" "127.0.0.1:$(cat "$TMP/mute.port")"
expect_rc 1 "raw sender to a peer that never closes"
expect_contains "$TMP/err" "all sent, but 127.0.0.1:[0-9]* did not close within 1 s" "no close"
kill "$MUTE" 2>/dev/null

bg python3 "$TMP/rst.py" recv >"$TMP/rst.port"
wait_nonempty "$TMP/rst.port"
run "$TMP/out.txt" "$TMP/err" -- "$SOCKIT" send "$TMP/big.bin" "127.0.0.1:$(cat "$TMP/rst.port")"
expect_rc 1 "sender reset by the receiver"
expect_contains "$TMP/err" "Connection reset by peer (ECONNRESET)" "sender's reset line"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$TMP/out"
timeout 10 python3 "$TMP/rst.py" send "$P"
wait_exit "$RECV" 10
expect_rc 1 "receiver reset by the sender"
expect_contains "$TMP/recv.err" "receive 'x.bin' from .*Connection reset by peer (ECONNRESET)" "receiver's reset line"
expect_eq "$(ls -A "$TMP/out")" "" "files after a reset"
finish
