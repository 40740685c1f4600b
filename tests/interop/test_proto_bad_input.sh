#!/usr/bin/env bash
# sockit proto serve against every kind of bad input, through the real server process: a bad
# checksum, an empty payload whose checksum is not 0, a length over --max-payload (header alone,
# and with all its bytes sent), an ECHO whose answer would exceed the limit, a v2 frame with a bad
# CRC, a v2 length over --max-payload-v2, a v2 ECHO whose answer would exceed it, an unknown v2
# version (answered with id 0 even though the id's bytes arrived), and a v2 frame sent to a v1-only
# server (its v1 answer says what it made of the magic). Each gets a RESP_ERROR frame with the
# reason, then a clean close (EOF, never a RST, even though the peer's extra bytes were still
# arriving), one log line with the reason, and the server keeps serving.
# Also: --idle-timeout closes a silent client but not one that PINGs often enough; a flood of bad
# frames is logged at most 20 lines a second.
. "$SOCKIT_TEST_LIB"
need python3
bg "$SOCKIT" -v proto serve --port 0 --v2 --max-payload-v2 1000 --idle-timeout 1 >"$TMP/server.out" 2>"$TMP/server.err"
SERVER=$BG_PID
bg "$SOCKIT" proto serve --port 0 >/dev/null 2>"$TMP/server1.err"
SERVER1=$BG_PID
listening_port P "$TMP/server.err" tcp proto
listening_port P1 "$TMP/server1.err" tcp proto

cat >"$TMP/peer.py" <<'EOF'
import socket, struct, sys, time
from proto_frames import crc32c, v1, v2
port = int(sys.argv[1])
port_v1_only = int(sys.argv[2])
failed = False

def connect(to=None):
    return socket.create_connection(('127.0.0.1', to or port), timeout=5)

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
# v2 frame with an unknown version byte: the answer's id is 0, although bytes 12-15 (55) arrived.
s = connect()
s.sendall(bytes([0xC5, 0x53, 0x4B, 9]) + b'\0' * 8 + struct.pack('<I', 55) + b'\0' * 4)
data, how = read_all(s)
check('v2 unknown version', b'Unsupported protocol version 9' in data and how == 'eof', repr(data[:60]))
check('v2 unknown version answered with id 0', len(data) >= 20 and struct.unpack('<I', data[12:16])[0] == 0, repr(data[:60]))

def v2_bad_case(name, request, rid, expect_reason):
    s = connect()
    s.sendall(request)
    s.shutdown(socket.SHUT_WR)
    data, how = read_all(s)
    s.close()
    ok = len(data) >= 20 and data[:4] == b'\xc5\x53\x4b\x02' and data[4] == 1
    ok = ok and struct.unpack('<I', data[12:16])[0] == rid and len(data) == 20 + struct.unpack('<I', data[8:12])[0]
    check(name + ' answered', ok and expect_reason in data[20:].decode(), repr(data[:120]))
    check(name + ' clean close', how == 'eof', how)

# --max-payload-v2 1000: a longer v2 length is refused from its header; an ECHO of 995 bytes
# would be answered with 1001.
v2_bad_case('v2 length 1001, header only', v2(1, 31, length=1001), 31, 'Payload too large: 1001 bytes (limit 1000)')
v2_bad_case('v2 echo 995: answer too large', v2(1, 32, b'A' * 995), 32,
            'Response too large: ECHO of 995 bytes would answer 1001 bytes (limit 1000)')
s = connect()
s.sendall(v2(1, 33, b'A' * 994) + v2(3, 34))
data, how = read_all(s)
check('v2 echo 994 fits', len(data) == 20 + 1000 + 20 + 7 and data[20:26] == b'Echo: ' and how == 'eof', repr(data[:40]))

# A v1-only server reads the v2 magic as a v1 header: command 0xC5 with 0x4B53 = 19283 bytes.
s = connect(port_v1_only)
s.sendall(v2(4, 1))
s.shutdown(socket.SHUT_WR)
data, how = read_all(s)
fr = frames_v1(data)
check('v1-only server answers a v2 frame in v1', len(fr) == 1 and fr[0][0] == 1 and
      fr[0][1] == b'Payload too large: 19283 bytes (limit 4096)' and how == 'eof', repr((data[:80], how)))

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
timeout 40 python3 "$TMP/peer.py" "$P" "$P1" >"$TMP/peer.out" 2>&1 || fail "peer script: $(grep -v '^ok' "$TMP/peer.out" | head -c 1500)"
cat "$TMP/peer.out"
kill -0 "$SERVER" 2>/dev/null || fail "the server died"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$P" ping
expect_eq "$(cat "$TMP/out")" "OK PONG" "server still serves after bad input"
# One log line per bad input, with the peer and the whole reason.
for reason in "Bad checksum: header says 0, payload sums to 294" \
  "Bad checksum: header says 3735928559, payload sums to 0" \
  "Payload too large: 4097 bytes (limit 4096)" \
  "Payload too large: 65535 bytes (limit 4096)" \
  "Payload too large: 5000 bytes (limit 4096)" \
  "Response too large: ECHO of 4091 bytes would answer 4097 bytes (limit 4096)" \
  "Bad checksum: header says 1, payload sums to 294" \
  "Bad CRC32C" \
  "Unsupported protocol version 9" \
  "Payload too large: 1001 bytes (limit 1000)" \
  "Response too large: ECHO of 995 bytes would answer 1001 bytes (limit 1000)"; do
  n=$(grep -c "warning proto: 127.0.0.1:[0-9]*: $reason; closing" "$TMP/server.err")
  [ "$n" -eq 1 ] || fail "log: expected one line '$reason; closing', found $n"
done
expect_contains "$TMP/server.err" "unknown command 99" "log: unknown command (-v)"
expect_contains "$TMP/server.err" "idle for 1 s; closing" "log: idle client (-v)"
expect_contains "$TMP/server1.err" "Payload too large: 19283 bytes (limit 4096); closing" "log: v1-only server"

# A flood of bad frames is not a flood of stderr: 300 connections each claiming 65535 bytes get
# their RESP_ERROR, and at most 20 lines a second reach the log; after a pause, the next line
# says how many were held back.
lines_before=$(wc -l <"$TMP/server1.err")
timeout 60 python3 - "$P1" >"$TMP/flood.out" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
answered = 0
t0 = time.time()
first_second = 0
for _ in range(300):
    if time.time() - t0 < 1:
        first_second += 1
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(bytes([4, 0xff, 0xff, 0, 0, 0, 0, 0]))
    if s.recv(1) == b"\x01":  # RESP_ERROR
        answered += 1
    s.close()
took = time.time() - t0
time.sleep(1.2)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(bytes([4, 0xff, 0xff, 0, 0, 0, 0, 0]))
s.recv(1)
s.close()
print("answered", answered)
# At most 20 lines a second (every started second of the flood) and the one after the pause;
# lines are held back only if more than 20 frames came within the first second.
import math
print("bound", 20 * math.ceil(took + 0.001) + 1)
print("held", 1 if first_second > 20 else 0)
PY
expect_contains "$TMP/flood.out" "answered 300" "flood: every bad frame answered"
logged=$(( $(wc -l <"$TMP/server1.err") - lines_before ))
bound=$(sed -n 's/^bound //p' "$TMP/flood.out")
[ "$logged" -le "${bound:-0}" ] || fail "flood: $logged log lines for 301 bad frames (at most $bound: 20 a second)"
if grep -q "^held 1" "$TMP/flood.out"; then
  for _ in $(seq 20); do grep -q "more since the last one" "$TMP/server1.err" && break; sleep 0.1; done
  expect_match "$TMP/server1.err" "Payload too large: 65535 bytes \(limit 4096\); closing \(and [0-9]+ more since the last one\)" \
    "flood: the line after the pause counts those held back"
fi
kill -TERM "$SERVER"
wait "$SERVER"; RC=$?
expect_rc 0 "server exits 0 on SIGTERM"
finish
