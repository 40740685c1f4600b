#!/usr/bin/env bash
# The default --max-conns follows the descriptor limit the server has (after raising it), not a
# fixed 1,000: 1,100 clients of a default `sockit echo` are all served. Refusals over an explicit
# --max-conns are logged at most once a second, with a count of those not shown.
. "$SOCKIT_TEST_LIB"
need python3

bg "$SOCKIT" -v echo --tcp --port 0 >/dev/null 2>"$TMP/err1"
S1=$BG_PID
listening_port P1 "$TMP/err1" tcp echo
cat >"$TMP/many.py" <<'PYEOF'
import resource, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < n + 64:
    print('SKIP hard limit', hard); sys.exit(77)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 64) if hard == resource.RLIM_INFINITY else hard, hard))
conns = [socket.create_connection(('127.0.0.1', port), timeout=10) for _ in range(n)]
for c in conns:
    c.sendall(b'x')
bad = 0
for c in conns:
    try:
        if c.recv(1) != b'x':
            bad += 1
    except OSError:
        bad += 1
print('unanswered', bad)
sys.exit(1 if bad else 0)
PYEOF
timeout 60 python3 "$TMP/many.py" "$P1" 1100 >"$TMP/many.out" 2>&1
RC=$?
[ "$RC" -eq 77 ] && skip "$(cat "$TMP/many.out")"
[ "$RC" -eq 0 ] || fail "1100 clients of a default echo: $(cat "$TMP/many.out"); server: $(grep -m2 refusing "$TMP/err1")"
grep -q "refusing" "$TMP/err1" && fail "a default echo refused connections: $(grep -m1 refusing "$TMP/err1")"
kill -INT "$S1"; wait "$S1"

# --max-conns 1: one kept connection, then 40 refused in a burst: one warning line, not 40; a
# refusal over a second later says how many were not shown.
bg "$SOCKIT" echo --tcp --port 0 --max-conns 1 >/dev/null 2>"$TMP/err2"
S2=$BG_PID
listening_port P2 "$TMP/err2" tcp echo
cat >"$TMP/burst.py" <<'PYEOF'
import socket, sys, time
port = int(sys.argv[1])
keep = socket.create_connection(('127.0.0.1', port), timeout=5)
keep.sendall(b'k'); assert keep.recv(1) == b'k'
def refused():
    c = socket.create_connection(('127.0.0.1', port), timeout=5)
    assert c.recv(1) == b''  # a clean close
    c.close()
for _ in range(40):
    refused()
time.sleep(1.2)
refused()
PYEOF
timeout 30 python3 "$TMP/burst.py" "$P2" >"$TMP/burst.out" 2>&1 || fail "burst script: $(cat "$TMP/burst.out")"
n=$(grep -c "refusing" "$TMP/err2")
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "41 refusals in ~1 s: expected 1-3 warning lines, got $n"
grep -q "more since the last report" "$TMP/err2" || fail "no count of the refusals not shown: $(cat "$TMP/err2")"
kill -INT "$S2"; wait "$S2"
finish
