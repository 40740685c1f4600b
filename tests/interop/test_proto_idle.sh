#!/usr/bin/env bash
# sockit proto serve --idle-timeout on its timer wheel: 300 silent connections are all closed
# between SECS and SECS + a tick (+ slack) after they opened; a connection that spoke once midway
# is re-filed and closed SECS after that byte, not before; one that keeps talking stays open.
. "$SOCKIT_TEST_LIB"
need python3
bg "$SOCKIT" -v proto serve --port 0 --idle-timeout 1 >/dev/null 2>"$TMP/server.err"
SERVER=$BG_PID
listening_port P "$TMP/server.err" tcp proto
cat >"$TMP/idle.py" <<'PYEOF'
import select, socket, struct, sys, time
port = int(sys.argv[1])
failed = False
def check(name, cond, detail=''):
    global failed
    print(('ok ' if cond else 'FAIL ') + name + ('' if cond else ' ' + repr(detail)))
    failed = failed or not cond
PING = struct.pack('<BHBI', 4, 0, 0, 0)
t0 = time.monotonic()
silent = [socket.create_connection(('127.0.0.1', port), timeout=5) for _ in range(300)]
late = socket.create_connection(('127.0.0.1', port), timeout=5)
busy = socket.create_connection(('127.0.0.1', port), timeout=5)
closed_at = {}
late_spoke = None
next_ping = t0
while time.monotonic() - t0 < 3.2:
    now = time.monotonic()
    if late_spoke is None and now - t0 >= 0.6:
        late.sendall(PING); late_spoke = time.monotonic()
    if now >= next_ping:
        busy.sendall(PING); next_ping = now + 0.3
    socks = [s for s in silent + [late, busy] if s not in closed_at]
    r, _, _ = select.select(socks, [], [], 0.02)
    for s in r:
        d = s.recv(100)
        if not d:
            closed_at[s] = time.monotonic()
times = [closed_at.get(s) for s in silent]
check('every silent connection closed', all(t is not None for t in times), sum(t is None for t in times))
done = [t - t0 for t in times if t is not None]
if done:
    # Tick = 100 ms; allow scheduling slack on a loaded machine, never early.
    check('silent ones closed after 1 s', min(done) >= 0.99, min(done))
    check('silent ones closed by 2 s', max(done) <= 2.0, max(done))
check('late one closed', late in closed_at)
if late in closed_at:
    check('late one closed 1 s after its PING, not before', closed_at[late] - late_spoke >= 0.99,
          closed_at[late] - late_spoke)
    check('late one not kept much longer', closed_at[late] - late_spoke <= 2.0, closed_at[late] - late_spoke)
check('busy one still open', busy not in closed_at)
sys.exit(1 if failed else 0)
PYEOF
timeout 30 python3 "$TMP/idle.py" "$P" >"$TMP/idle.out" 2>&1 || fail "idle script: $(grep -v '^ok' "$TMP/idle.out" | head -c 1500)"
cat "$TMP/idle.out"
n=$(grep -c "idle for 1 s; closing" "$TMP/server.err")
[ "$n" -eq 301 ] || fail "expected 301 idle log lines, got $n"
kill -0 "$SERVER" 2>/dev/null || fail "the server died"
finish
