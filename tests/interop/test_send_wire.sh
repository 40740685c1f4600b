#!/usr/bin/env bash
# The transfer's wire format as docs/commands/send.md specifies it, spoken by a sender and a
# receiver written here in Python, with hashes from xxh128sum (not our code):
#   - `sockit send` puts flag 2 (hash after) in the header, a zero hash field, the body, then a T
#     message with the file's XXH3-128, which equals xxh128sum's;
#   - `sockit recv` stores a file whose hash comes in the header (flag 0) or after the body
#     (flag 2); refuses a wrong trailer (integrity, E3), a sender that closes where the trailer
#     belongs (truncated), and another message in its place (protocol, E4); nothing is left
#     under the final name by the three failures;
#   - a file that shrinks while `sockit send` sends it ends the transfer with one line, exit 1.
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/send_lib.sh"
need python3 xxh128sum

out=$TMP/out
mkdir -p "$out"
random_file "$TMP/data.bin" 300000
sum=$(xxh128sum "$TMP/data.bin" | cut -d' ' -f1)

# 1. sockit send against a receiver in Python that checks each field.
cat >"$TMP/rx.py" <<'PY'
import socket, struct, sys
want_sum, size = sys.argv[1], int(sys.argv[2])
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
c, _ = l.accept(); c.settimeout(20)
def take(n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d: sys.exit("closed after %d of %d bytes" % (len(b), n))
        b += d
    return b
h = take(6 + 31)
assert h[:6] == b"SKXF\x01H", h[:6]
flags, mode, fsize = struct.unpack(">BIQ", h[6:19])
assert flags == 2, "flags %d, expected 2 (hash after)" % flags
assert fsize == size, fsize
assert h[19:35] == bytes(16), "hash field not zero with flag 2"
name = take(struct.unpack(">H", h[35:37])[0])
assert name == b"data.bin", name
body = take(size)
t = take(6 + 16)
assert t[:6] == b"SKXF\x01T", t[:6]
assert t[6:].hex() == want_sum, "trailer %s, xxh128sum %s" % (t[6:].hex(), want_sum)
c.sendall(b"SKXF\x01A" + struct.pack(">Q", size) + t[6:])
z = take(6 + 8)
assert z == b"SKXF\x01Z" + struct.pack(">Q", 1), z
print("ok", flush=True)
PY
bg python3 "$TMP/rx.py" "$sum" 300000 >"$TMP/rx.out" 2>"$TMP/rx.err"; RX=$BG_PID
for _ in $(seq 100); do [ -s "$TMP/rx.out" ] && break; sleep 0.1; done
RXP=$(head -1 "$TMP/rx.out")
[ -n "$RXP" ] || die "the Python receiver did not start: $(cat "$TMP/rx.err")"
run "$TMP/s.out" "$TMP/s.err" -- "$SOCKIT" --json send "$TMP/data.bin" "127.0.0.1:$RXP"
expect_rc 0 "sockit send to the Python receiver"
wait "$RX" || fail "the Python receiver: $(cat "$TMP/rx.err")"
expect_contains "$TMP/rx.out" '^ok$' "the Python receiver's checks"
expect_eq "$(jq -r '.items[0].hash' "$TMP/s.out")" "$sum" "send --json hash against xxh128sum"

# 2. A sender in Python against sockit recv -k.
start_recv P "$TMP/recv.err" "$TMP/recv.out" recv 0 -o "$out" -k
cat >"$TMP/tx.py" <<'PY'
import socket, struct, sys
port, name, how, path, sum_hex = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3], sys.argv[4], sys.argv[5]
body = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port), timeout=20)
flags = {"before": 0, "refuse": 1}.get(how, 2)
field = bytes.fromhex(sum_hex) if how in ("before", "refuse") else bytes(16)
head = b"SKXF\x01H" + struct.pack(">BIQ", flags, 0o644, len(body)) + field + struct.pack(">H", len(name)) + name
if how == "refuse":
    # asks to resume, takes the offer, then refuses to go on (as a sender whose file vanished)
    s.sendall(head)
    offer = b""
    while len(offer) < 30:
        d = s.recv(30 - len(offer))
        if not d: break
        offer += d
    text = b"gave up"
    s.sendall(b"SKXF\x01E" + bytes([2]) + struct.pack(">H", len(text)) + text)
    s.shutdown(socket.SHUT_WR)
    print("offer %s %d" % (offer[5:6].decode("ascii", "replace"), offer[:6] == b"SKXF\x01O"), flush=True)
    while s.recv(4096): pass
    sys.exit(0)
s.sendall(head + body)
if how in ("before",):
    pass
elif how == "after":
    s.sendall(b"SKXF\x01T" + bytes.fromhex(sum_hex))
elif how == "wrong":
    s.sendall(b"SKXF\x01T" + bytes(16))
elif how == "other":
    s.sendall(b"SKXF\x01Z" + struct.pack(">Q", 1))
elif how == "close":
    s.shutdown(socket.SHUT_WR)
data = b""
while len(data) < 6 or (data[5:6] == b"A" and len(data) < 30) or (data[5:6] == b"E" and len(data) < 9):
    d = s.recv(4096)
    if not d: break
    data += d
if data[:6] == b"SKXF\x01A":
    s.sendall(b"SKXF\x01Z" + struct.pack(">Q", 1))
    print("A " + data[14:30].hex())
elif data[:6] == b"SKXF\x01E":
    while len(data) < 9 + struct.unpack(">H", data[7:9])[0]:
        d = s.recv(4096)
        if not d: break
        data += d
    print("E%d %s" % (data[6], data[9:].decode("utf-8", "replace")))
else:
    print("other %r" % data[:40])
PY
tx() { python3 "$TMP/tx.py" "$P" "$1" "$2" "$TMP/data.bin" "$sum" >"$TMP/tx.$2" 2>&1; }
tx before.bin before
expect_eq "$(cat "$TMP/tx.before")" "A $sum" "hash in the header (flag 0): acknowledged with xxh128sum's hash"
cmp -s "$TMP/data.bin" "$out/before.bin" || fail "flag 0: the stored file differs"
tx after.bin after
expect_eq "$(cat "$TMP/tx.after")" "A $sum" "hash after the body (flag 2): acknowledged"
cmp -s "$TMP/data.bin" "$out/after.bin" || fail "flag 2: the stored file differs"
tx wrong.bin wrong
grep -q '^E3 .*content hash mismatch' "$TMP/tx.wrong" || fail "a wrong trailer: the sender got $(cat "$TMP/tx.wrong")"
tx other.bin other
grep -q '^E4 .*expected the hash of' "$TMP/tx.other" || fail "another message for the trailer: $(cat "$TMP/tx.other")"
tx close.bin close
wait_match "$TMP/recv.err" "closed the connection before the file's hash" ||
  fail "no trailer before the close: $(cat "$TMP/recv.err")"
# A sender that asks to resume, takes the offer, then refuses: a receiver without --resume keeps
# no partial file of it.
tx refused.bin refuse
expect_eq "$(cat "$TMP/tx.refuse")" "offer O 1" "the offer to a sender asking to resume"
wait_match "$TMP/recv.err" "sender.*gave up" || fail "the sender's refusal: $(cat "$TMP/recv.err")"
kill -0 "$RECV" 2>/dev/null || fail "recv -k died"
stop_server "$RECV"
expect_eq "$(cd "$out" && ls -A | sort | tr '\n' ' ')" "after.bin before.bin " "files stored (and no partial file left)"

# 3. A file cut short while it is being sent (the receiver holds the body back meanwhile): the
# sender says so, exit 1, and sends no trailer for bytes it never had.
random_file "$TMP/shrinks.bin" $((64 * 1024 * 1024))
cat >"$TMP/slow.py" <<'PY'
import os, socket, sys, time
go = sys.argv[1]
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
c, _ = l.accept(); c.settimeout(20)
c.recv(6 + 31 + 11)  # the header of shrinks.bin
print("header", flush=True)
for _ in range(200):
    if os.path.exists(go): break
    time.sleep(0.1)
n = 0
while True:
    d = c.recv(1 << 20)
    if not d: break
    n += len(d)
print("got", n, flush=True)
PY
bg python3 "$TMP/slow.py" "$TMP/go" >"$TMP/slow.out" 2>"$TMP/slow.err"; SLOW=$BG_PID
for _ in $(seq 100); do [ -s "$TMP/slow.out" ] && break; sleep 0.1; done
SP=$(head -1 "$TMP/slow.out")
[ -n "$SP" ] || die "the slow receiver did not start: $(cat "$TMP/slow.err")"
bg "$SOCKIT" send "$TMP/shrinks.bin" "127.0.0.1:$SP" 2>"$TMP/shrink.err"; SEND=$BG_PID
wait_match "$TMP/slow.out" '^header$' || fail "the slow receiver got no header"
truncate -s $((1024 * 1024)) "$TMP/shrinks.bin"
touch "$TMP/go"
wait "$SEND"; RC=$?
expect_rc 1 "send of a file that shrank"
expect_contains "$TMP/shrink.err" "shrinks.bin shrank while being sent" "the sender's line"
wait "$SLOW"
finish
