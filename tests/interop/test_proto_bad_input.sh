#!/usr/bin/env bash
# sockit proto serve against every kind of bad input, through the real server process: a bad
# checksum, an empty payload whose checksum is not 0, a length over --max-payload (header alone,
# and with all its bytes sent), an ECHO whose answer would exceed the limit, a v2 frame with a bad
# CRC. Each gets a RESP_ERROR frame with the reason, then a clean close (EOF, never a RST, even
# though the peer's extra bytes were still arriving), a log line, and the server keeps serving.
# Also: --idle-timeout closes a silent client but not one that PINGs often enough.
. "$SOCKIT_TEST_LIB"
need python3
P=$(free_port)
bg "$SOCKIT" proto serve --port "$P" --v2 --idle-timeout 1 >"$TMP/server.out" 2>"$TMP/server.err"
SERVER=$BG_PID
wait_listen "$P"

cat >"$TMP/peer.py" <<'EOF'
import socket, struct, sys, time
port = int(sys.argv[1])
failed = False

def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xffffffff

def v1(code, payload=b'', csum=None):
    return struct.pack('<BHBI', code, len(payload), 0, sum(payload) if csum is None else csum) + payload

def v2(code, rid, payload=b'', bad=False):
    h = bytes([0xC5, 0x53, 0x4B, 2, code, 0, 0, 0]) + struct.pack('<II', len(payload), rid)
    c = crc32c(payload, crc32c(h)) ^ (1 if bad else 0)
    return h + struct.pack('<I', c) + payload

def connect():
    return socket.create_connection(('127.0.0.1', port), timeout=5)

def read_all(s):
    """Everything until EOF; 'reset' if the connection was reset instead."""
    data = b''
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return data, 'eof'
            data += d
    except ConnectionResetError:
        return data, 'reset'

def frames_v1(data):
    out = []
    while len(data) >= 8:
        code, ln, _, cs = struct.unpack('<BHBI', data[:8])
        p = data[8:8 + ln]
        if len(p) < ln: break
        assert sum(p) == cs, 'bad checksum in response'
        out.append((code, p)); data = data[8 + ln:]
    return out

def check(name, cond, detail=''):
    global failed
    if cond: print('ok', name)
    else:
        print('FAIL', name, detail); failed = True

def bad_case(name, request, expect_reason, trailing=b''):
    s = connect()
    s.sendall(request)
    if trailing:
        # Keep sending while the server answers: a close with unread bytes would be a RST.
        time.sleep(0.1)
        try: s.sendall(trailing)
        except OSError as e: check(name + ' send', False, repr(e))
    s.shutdown(socket.SHUT_WR)
    data, how = read_all(s)
    s.close()
    fr = frames_v1(data)
    check(name + ' answered', len(fr) == 1 and fr[0][0] == 1 and expect_reason in fr[0][1].decode(), repr(data[:120]))
    check(name + ' clean close', how == 'eof', how)

bad_case('bad checksum', v1(1, b'abc', csum=0), 'Bad checksum')
bad_case('empty payload, checksum not 0', v1(4, b'', csum=0xdeadbeef), 'Bad checksum')
bad_case('length 4097, header only', struct.pack('<BHBI', 1, 4097, 0, 0), 'Payload too large: 4097')
bad_case('length 65535, header only', struct.pack('<BHBI', 1, 65535, 0, 0), 'Payload too large: 65535')
bad_case('length 5000 with its bytes', v1(1, b'A' * 5000), 'Payload too large: 5000', trailing=b'B' * 200000)
bad_case('echo 4091: answer too large', v1(1, b'A' * 4091), 'Response too large')

# Without half-closing first: the server's FIN must come on its own, and the close stay clean.
s = connect()
s.sendall(v1(1, b'abc', csum=1) + v1(4) * 100)
data, how = read_all(s)
fr = frames_v1(data)
check('error then FIN without our EOF', len(fr) == 1 and fr[0][0] == 1 and how == 'eof', repr((data[:60], how)))
s.close()

# The largest ECHO that fits: 4090 bytes answer 4096.
s = connect()
s.sendall(v1(1, b'A' * 4090) + v1(3))
data, how = read_all(s)
fr = frames_v1(data)
check('echo 4090 fits', len(fr) == 2 and fr[0][0] == 0 and len(fr[0][1]) == 4096 and fr[1][1] == b'Goodbye', repr(data[:40]))

# v2 with a bad CRC: a v2 error frame carrying the request id.
s = connect()
s.sendall(v2(1, 77, b'abc', bad=True))
s.shutdown(socket.SHUT_WR)
data, how = read_all(s)
ok = len(data) >= 20 and data[:3] == b'\xc5\x53\x4b' and data[4] == 1 and struct.unpack('<I', data[12:16])[0] == 77 and b'CRC32C' in data[20:]
check('v2 bad crc', ok and how == 'eof', repr(data[:60]))
# v2 frame with an unknown version byte.
s = connect()
s.sendall(bytes([0xC5, 0x53, 0x4B, 9]) + b'\0' * 16)
data, how = read_all(s)
check('v2 unknown version', b'Unsupported protocol version 9' in data and how == 'eof', repr(data[:60]))

# Unknown command: RESP_ERROR and the connection stays usable.
s = connect()
s.sendall(v1(99))
time.sleep(0.05)
s.sendall(v1(4) + v1(3))
data, how = read_all(s)
fr = frames_v1(data)
check('unknown command keeps the connection', [f[0] for f in fr] == [1, 0, 0] and fr[0][1] == b'Unknown command' and fr[1][1] == b'PONG', repr(fr))

# --idle-timeout 1: a silent client is closed; one that PINGs every 0.4 s stays.
quiet = connect()
busy = connect()
t0 = time.time()
alive = True
while time.time() - t0 < 2.5:
    busy.sendall(v1(4))
    d = busy.recv(100)
    if len(d) < 12: alive = False
    time.sleep(0.4)
quiet.settimeout(0.1)
data, how = read_all(quiet)
check('idle client closed', how == 'eof' and data == b'', repr((data, how)))
check('pinging client kept', alive)
busy.sendall(v1(3))
data, how = read_all(busy)
check('pinging client still served', frames_v1(data) == [(0, b'Goodbye')], repr(data))
sys.exit(1 if failed else 0)
EOF
timeout 40 python3 "$TMP/peer.py" "$P" >"$TMP/peer.out" 2>&1 || fail "peer script: $(grep -v '^ok' "$TMP/peer.out" | head -c 1500)"
cat "$TMP/peer.out"
kill -0 "$SERVER" 2>/dev/null || fail "the server died"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$P" ping
expect_eq "$(cat "$TMP/out")" "OK PONG" "server still serves after bad input"
# One log line per bad input, with the reason and the peer.
expect_contains "$TMP/server.err" "Bad checksum: header says 0, payload sums to 294; closing" "log line"
expect_contains "$TMP/server.err" "Payload too large: 5000 bytes (limit 4096)" "log line"
expect_contains "$TMP/server.err" "Response too large" "log line"
kill -TERM "$SERVER"
wait "$SERVER"; RC=$?
expect_rc 0 "server exits 0 on SIGTERM"
finish
