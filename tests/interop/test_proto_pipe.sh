#!/usr/bin/env bash
# sockit proto call pipelines commands read from a real pipe: the server here (python) answers
# nothing until it has received all 5 requests, then answers them in one go. A client that waits
# for each answer before sending the next request never gets its first answer and fails (-w 3,
# the whole run capped at 10 s). The answers must come out in order.
. "$SOCKIT_TEST_LIB"
need python3
cat >"$TMP/gate.py" <<'PYEOF'
import socket, struct, sys
from proto_frames import v1
N = 5
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
buf, frames = b'', []
while len(frames) < N:
    d = c.recv(4096)
    if not d:
        sys.exit('client closed after %d request(s)' % len(frames))
    buf += d
    while len(buf) >= 8:
        code, ln, _, _ = struct.unpack('<BHBI', buf[:8])
        if len(buf) < 8 + ln: break
        frames.append((code, buf[8:8 + ln])); buf = buf[8 + ln:]
out = b''
for code, p in frames:
    out += v1(0, {1: b'Echo: ' + p, 2: b'noon', 3: b'Goodbye', 4: b'PONG'}.get(code, b'?'))
c.sendall(out)
c.shutdown(socket.SHUT_WR)
print('answered', len(frames), flush=True)
while c.recv(4096): pass
PYEOF
bg python3 "$TMP/gate.py" >"$TMP/gate.out" 2>"$TMP/gate.err"
wait_nonempty "$TMP/gate.out"
GP=$(head -1 "$TMP/gate.out")
[ -n "$GP" ] || die "the gate server did not start: $(cat "$TMP/gate.err")"

printf 'ping\necho one\ntime\necho two\nquit\n' | timeout 10 "$SOCKIT" proto call -w 3 "127.0.0.1:$GP" >"$TMP/out" 2>"$TMP/err"
RC=$?
expect_rc 0 "pipelined from a pipe"
expect_eq "$(tr '\n' '|' <"$TMP/out")" "OK PONG|OK Echo: one|OK noon|OK Echo: two|OK Goodbye|" "answers in order"
for _ in $(seq 20); do grep -q answered "$TMP/gate.out" && break; sleep 0.1; done
expect_contains "$TMP/gate.out" "answered 5" "the server saw all 5 requests before answering"
finish
