#!/usr/bin/env bash
# sockit recv against hostile senders: names that climb out of the directory, absolute paths,
# control characters, NUL, empty, '.', over 255 bytes are refused with one line on both sides and
# create nothing; garbage instead of a header (printf garbage | nc), a newer protocol version, a
# header cut short, and a sender that lies about the file count are reported, exit 1. A header
# dribbled a byte a second is cut off -w after its first byte, so it cannot hold recv -k.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need nc python3

out=$TMP/out
mkdir -p "$out"
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out" -k

# send_header NAME_PYTHON_LITERAL: a header for a 5-byte file, then its body; prints the
# receiver's answer as "E<code> <text>" or "A".
cat >"$TMP/hdr.py" <<'PY'
import socket, struct, sys
port, name, extra = int(sys.argv[1]), eval(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else ""
s = socket.create_connection(("127.0.0.1", port), timeout=10)
ver = 2 if extra == "v2" else 1
body = b"12345"
hdr = b"SKXF" + bytes([ver]) + b"H" + struct.pack(">BIQ", 0, 0o644, len(body)) + bytes(16) + struct.pack(">H", len(name)) + name
if extra == "cut":
    s.sendall(hdr[:20]); s.shutdown(socket.SHUT_WR)
else:
    s.sendall(hdr + body)
data = b""
while True:
    try:
        d = s.recv(4096)
    except (ConnectionError, socket.timeout):
        break
    if not d:
        break
    data += d
if data[:6] == b"SKXF\x01E":
    n = struct.unpack(">H", data[7:9])[0]
    print("E%d %s" % (data[6], data[9:9 + n].decode("utf-8", "replace")))
elif data[:6] == b"SKXF\x01A":
    print("A")
else:
    print("other %r" % data[:40])
PY

i=0
for name in "b'../evil'" "b'/etc/evil'" "b'a/b'" "b'..'" "b'.'" "b'a\\x00b'" "b'\\x1b[2Jx'" "b'new\\nline'" \
            "b'.f.sockit-part'"; do
  i=$((i + 1))
  python3 "$TMP/hdr.py" "$P" "$name" >"$TMP/ans.$i" 2>&1
  grep -q '^E1 refused ' "$TMP/ans.$i" || fail "name $name: the sender got $(cat "$TMP/ans.$i")"
done
# An empty name and one over 255 bytes are refused by the parser itself (the name length field),
# as protocol errors.
python3 "$TMP/hdr.py" "$P" "b''" >"$TMP/ans.empty" 2>&1
grep -q '^E4 .*file name length out of range' "$TMP/ans.empty" || fail "empty name: $(cat "$TMP/ans.empty")"
python3 "$TMP/hdr.py" "$P" "b'x' * 256" >"$TMP/ans.long" 2>&1
grep -q '^E4 .*file name length out of range' "$TMP/ans.long" || fail "256-byte name: $(cat "$TMP/ans.long")"
# A newer protocol version and a header cut short.
python3 "$TMP/hdr.py" "$P" "b'ok'" v2 >"$TMP/ans.v2" 2>&1
grep -q '^E4 .*unsupported transfer protocol version' "$TMP/ans.v2" || fail "version 2: $(cat "$TMP/ans.v2")"
python3 "$TMP/hdr.py" "$P" "b'ok'" cut >"$TMP/ans.cut" 2>&1
# Garbage, as from printf garbage | nc.
printf 'garbage\n' | timeout 10 nc -N 127.0.0.1 "$P" >"$TMP/nc.out"
grep -q 'not a sockit transfer' "$TMP/nc.out" || fail "garbage: nc got $(head -c 200 "$TMP/nc.out")"
sleep 0.3
kill -0 "$RECV" 2>/dev/null || fail "recv -k died on hostile input"
stop_server "$RECV"
expect_eq "$(ls -A "$out")" "" "files created by hostile senders"
expect_eq "$(grep -c "^sockit: refused '" "$TMP/recv.err")" 9 "receiver's refusal lines"
expect_contains "$TMP/recv.err" "refused '..': the name is '.' or '..' (a directory)" "'..'"
expect_contains "$TMP/recv.err" "refused '/etc/evil': the name contains '/'" "absolute"
expect_contains "$TMP/recv.err" "refused 'a\\\\x00b': the name contains a NUL byte" "NUL, shown escaped"
expect_contains "$TMP/recv.err" "refused '\\\\x1b\[2Jx': the name contains a control character" "ESC, shown escaped"
expect_contains "$TMP/recv.err" "file name length out of range" "long name"
expect_contains "$TMP/recv.err" "transfer truncated" "header cut short"
expect_contains "$TMP/recv.err" "not a sockit transfer" "garbage"
grep -q $'\x1b' "$TMP/recv.err" && fail "an escape character reached the receiver's stderr"

# A sender dribbling its header a byte a second never goes silent, yet cannot hold recv -k: the
# header must be whole within -w of its first byte, and a real sender waiting behind it is served.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out" -k -w 2
timeout 20 python3 - "$P" >"$TMP/dribble.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
t0 = time.time()
try:
    for b in b"SKXF\x01H" + bytes(40):
        s.send(bytes([b]))
        time.sleep(1)
        if time.time() - t0 > 15:
            break
    print("never cut")
except OSError as e:
    print("cut after %.1f s" % (time.time() - t0))
PY
DRIBBLE=$!
sleep 0.5
printf 'real\n' >"$TMP/real.txt"
t0=$(date +%s)
run "$TMP/send.out" "$TMP/send.err" -- "$SOCKIT" send -w 20 "$TMP/real.txt" "127.0.0.1:$P"
expect_rc 0 "a real sender behind a dribbling one"
[ $(( $(date +%s) - t0 )) -le 8 ] || fail "the real sender waited $(( $(date +%s) - t0 )) s behind a dribbling header (-w 2)"
wait "$DRIBBLE"
expect_contains "$TMP/dribble.out" "cut after" "the dribbling sender is cut off"
expect_contains "$TMP/recv.err" "did not finish a message within 2 s of its first byte" "the receiver says why"
expect_eq "$(cat "$out/real.txt" 2>/dev/null)" "real" "the real sender's file"
stop_server "$RECV"
rm -f "$out/real.txt"

# Without -k, garbage ends the receiver with exit 1 and one line.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out"
printf 'garbage' | timeout 10 nc -N 127.0.0.1 "$P" >/dev/null
wait_exit "$RECV" 10
expect_rc 1 "recv after garbage"
expect_eq "$(grep -c '^sockit:' "$TMP/recv.err")" 3 "listening lines (2) and one error line"
finish
