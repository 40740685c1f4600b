#!/usr/bin/env bash
# sockit proto serve under awkward streams, on each event-loop engine: a header sent one byte at a
# time with pauses (the chapter's server dropped such a client), a payload split likewise, several
# frames coalesced in one write, 10,000 pipelined requests answered in order, a peer that resets
# mid-burst (SO_LINGER 0: the server must survive, no SIGPIPE, and keep serving a second client
# that was connected all along), and 1,000 concurrent clients.
. "$SOCKIT_TEST_LIB"
need python3
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cat >"$TMP/peer.py" <<'EOF'
import selectors, socket, struct, sys, time
from proto_frames import v1
port, clients = int(sys.argv[1]), int(sys.argv[2])
failed = False
def check(name, cond, detail=''):
    global failed
    print(('ok ' if cond else 'FAIL ') + name + ('' if cond else ' ' + str(detail)[:300]))
    failed = failed or not cond
def connect():
    return socket.create_connection(('127.0.0.1', port), timeout=10)
def read_frames(s, n):
    buf, out = b'', []
    while len(out) < n:
        while len(buf) >= 8:
            code, ln, _, cs = struct.unpack('<BHBI', buf[:8])
            if len(buf) < 8 + ln: break
            p = buf[8:8 + ln]
            assert sum(p) == cs
            out.append((code, p)); buf = buf[8 + ln:]
        if len(out) >= n: break
        d = s.recv(1 << 20)
        if not d: break
        buf += d
    return out

bystander = connect()  # a client connected through everything below

# Header one byte at a time, with pauses; then a payload split the same way.
s = connect()
req = v1(1, b'abc')
for i in range(len(req)):
    s.sendall(req[i:i + 1]); time.sleep(0.03)
check('header and payload byte by byte', read_frames(s, 1) == [(0, b'Echo: abc')])
# Split at the chapter's fatal point: 3 + 5 header bytes, 0.3 s apart.
s.sendall(v1(4)[:3]); time.sleep(0.3); s.sendall(v1(4)[3:])
check('header split 3+5', read_frames(s, 1) == [(0, b'PONG')])
# Coalesced: three requests in one write.
s.sendall(v1(4) + v1(1, b'x') + v1(2))
fr = read_frames(s, 3)
check('coalesced', [f[1] for f in fr[:2]] == [b'PONG', b'Echo: x'] and len(fr) == 3 and fr[2][0] == 0, fr)
s.close()

# 10,000 pipelined requests, sent in one go while answers come back; all in order.
s = connect()
n = 10000
reqs = b''.join(v1(1, str(i).encode()) for i in range(n))
import threading
t = threading.Thread(target=s.sendall, args=(reqs,)); t.start()
fr = read_frames(s, n); t.join()
check('10000 pipelined in order', len(fr) == n and all(f == (0, b'Echo: ' + str(i).encode()) for i, f in enumerate(fr)), len(fr))
s.close()

# A peer that bursts and resets without reading.
for _ in range(5):
    s = connect()
    s.sendall(v1(1, b'z' * 4000) * 200)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
time.sleep(0.2)
bystander.sendall(v1(4))
check('bystander served after resets', read_frames(bystander, 1) == [(0, b'PONG')])

# Many concurrent clients, each one PING in flight at once.
if clients:
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(clients):
        c = socket.socket(); c.settimeout(10); c.connect(('127.0.0.1', port)); socks.append(c)
    for c in socks: c.sendall(v1(1, b'c'))
    ok = 0
    for c in socks:
        if read_frames(c, 1) == [(0, b'Echo: c')]: ok += 1
    check('%d concurrent clients' % clients, ok == clients, ok)
    for c in socks: c.close()
sys.exit(1 if failed else 0)
EOF

for eng in $(engines); do
  bg "$SOCKIT" proto serve --port 0 --engine "$eng" >/dev/null 2>"$TMP/server-$eng.err"
  SERVER=$BG_PID
  listening_port P "$TMP/server-$eng.err" tcp proto
  # select cannot watch descriptors past FD_SETSIZE (1024): its concurrency run stays below.
  n=1000; [ "$eng" = select ] && n=200
  timeout 50 python3 "$TMP/peer.py" "$P" "$n" >"$TMP/peer-$eng.out" 2>&1 \
    || fail "$eng: $(grep -v '^ok' "$TMP/peer-$eng.out" | head -c 1500)"
  sed "s/^/$eng: /" "$TMP/peer-$eng.out"
  kill -0 "$SERVER" 2>/dev/null || fail "$eng: the server died: $(tail -3 "$TMP/server-$eng.err")"
  kill "$SERVER"
done
finish
