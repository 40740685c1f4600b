#!/usr/bin/env bash
# sockit proto serve never sends a payload larger than its limit, whatever the answer: with a
# small --max-payload (8) and --max-payload-v2 (4), TIME, ECHO, PONG-sized answers, "Unknown
# command" and every error reason are checked frame by frame against the limit. An OK answer that
# does not fit becomes a RESP_ERROR (cut to the limit) and the connection finishes; an error reason
# that does not fit is cut to the limit. Our client shows that cut reason.
. "$SOCKIT_TEST_LIB"
need python3
bg "$SOCKIT" proto serve --port 0 --v2 --max-payload 8 --max-payload-v2 4 >"$TMP/server.out" 2>"$TMP/server.err"
SERVER=$BG_PID
listening_port P "$TMP/server.err" tcp proto

cat >"$TMP/peer.py" <<'PYEOF'
import socket, struct, sys
from proto_frames import crc32c, v1, v2
port = int(sys.argv[1])
LIMIT1, LIMIT2 = 8, 4
failed = False

def check(name, cond, detail=''):
    global failed
    print(('ok ' if cond else 'FAIL ') + name + ('' if cond else ' ' + repr(detail)))
    failed = failed or not cond

def exchange(req):
    """Send req, half-close, read to EOF; returns (frames, closed_by_server_first)."""
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.sendall(req)
    s.shutdown(socket.SHUT_WR)
    data = b''
    while True:
        d = s.recv(65536)
        if not d: break
        data += d
    s.close()
    frames = []
    while data:
        if data[:3] == b'\xc5\x53\x4b':
            ln, rid = struct.unpack('<II', data[8:16])
            frames.append((2, data[4], rid, data[20:20 + ln])); data = data[20 + ln:]
        else:
            code, ln, _, cs = struct.unpack('<BHBI', data[:8])
            p = data[8:8 + ln]
            check('v1 checksum of %r' % p, sum(p) == cs)
            frames.append((1, code, 0, p)); data = data[8 + ln:]
    for ver, code, rid, p in frames:
        lim = LIMIT1 if ver == 1 else LIMIT2
        check('payload %r within the v%d limit %d' % (p, ver, lim), len(p) <= lim)
    return frames

def codes(fr): return [(f[1], f[3]) for f in fr]

# v1 (limit 8). TIME (25 bytes) does not fit: an error, cut to 8 bytes, and the connection ends
# there (the PING after it is never answered).
fr = exchange(v1(2) + v1(4))
check('TIME too large', codes(fr) == [(1, b'Response')], fr)
fr = exchange(v1(1, b'ab') + v1(1, b'abc') + v1(4))
check('ECHO of 2 fits (8), ECHO of 3 does not', codes(fr) == [(0, b'Echo: ab'), (1, b'Response')], fr)
# "Unknown command" (15) is cut to 8, and the connection stays usable.
fr = exchange(v1(99) + v1(4) + v1(3))
check('unknown command cut, connection kept', codes(fr) == [(1, b'Unknown '), (0, b'PONG'), (0, b'Goodbye')], fr)
fr = exchange(v1(1, b'abc', csum=0))
check('bad checksum reason cut', codes(fr) == [(1, b'Bad chec')], fr)
fr = exchange(struct.pack('<BHBI', 1, 9, 0, 0))
check('length over the limit, reason cut', codes(fr) == [(1, b'Payload ')], fr)
# v2 (limit 4): PONG fits exactly; TIME and every reason are cut to 4 and keep the request id.
fr = exchange(v2(4, 5) + v2(2, 6) + v2(4, 7))
check('v2 PONG fits, TIME does not', [(f[1], f[2], f[3]) for f in fr] == [(0, 5, b'PONG'), (1, 6, b'Resp')], fr)
fr = exchange(v2(99, 8) + v2(3, 9))
# (Goodbye is 7 bytes: over 4, so even QUIT's answer becomes an error.)
check('v2 unknown command cut', [(f[1], f[2], f[3]) for f in fr] == [(1, 8, b'Unkn'), (1, 9, b'Resp')], fr)
fr = exchange(v2(1, 10, length=5))
check('v2 length over the limit', [(f[1], f[2], f[3]) for f in fr] == [(1, 10, b'Payl')], fr)
sys.exit(1 if failed else 0)
PYEOF
timeout 60 python3 "$TMP/peer.py" "$P" >"$TMP/peer.out" 2>&1 || fail "peer script: $(grep -v '^ok' "$TMP/peer.out" | head -c 1500)"
cat "$TMP/peer.out"

# Our client prints the cut reason and exits 1; PING (4 bytes) still fits.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$P" time
expect_rc 1 "client: TIME over the limit"
expect_eq "$(cat "$TMP/out")" "ERROR Response" "client: the reason, cut to 8 bytes"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$P" ping
expect_rc 0 "client: PING fits"
expect_eq "$(cat "$TMP/out")" "OK PONG" "client: PING"
# The log has the whole reason, not the cut one.
expect_contains "$TMP/server.err" "Response too large: TIME would answer 25 bytes (limit 8); closing" "log: TIME"
expect_contains "$TMP/server.err" "Response too large: ECHO of 3 bytes would answer 9 bytes (limit 8); closing" "log: ECHO"
expect_contains "$TMP/server.err" "Response too large: TIME would answer 25 bytes (limit 4); closing" "log: v2 TIME"
expect_contains "$TMP/server.err" "Payload too large: 9 bytes (limit 8); closing" "log: v1 length"
expect_contains "$TMP/server.err" "Payload too large: 5 bytes (limit 4); closing" "log: v2 length"
kill -0 "$SERVER" 2>/dev/null || fail "the server died"

# Our client against a server announcing an answer past its own limit: the line names both.
cat >"$TMP/big.py" <<'PYEOF'
import socket, time
from proto_frames import v2
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1); print(l.getsockname()[1], flush=True)
c, _ = l.accept(); c.recv(100)
c.sendall(v2(0, 1, length=2 * 1024 * 1024))  # RESP_OK, 2 MiB to come
time.sleep(2)
PYEOF
bg python3 "$TMP/big.py" >"$TMP/big.port"
wait_nonempty "$TMP/big.port"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call --v2 -w 5 "127.0.0.1:$(cat "$TMP/big.port")" ping
expect_rc 1 "an oversize answer"
expect_contains "$TMP/err" "payload too large (2097152 bytes announced, limit 1048576: --max-payload-v2)" "the client's oversize line"
finish
