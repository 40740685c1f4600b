#!/usr/bin/env bash
# sockit proto call without a command on a terminal: a REPL. Through a real pseudo-terminal
# (python3's pty), the "proto> " prompt appears, each command is answered before the next prompt,
# help lists the commands, a bad line is reported without ending the session, and quit ends it
# with exit 0.
. "$SOCKIT_TEST_LIB"
need python3
bg "$SOCKIT" proto serve --port 0 >/dev/null 2>"$TMP/server.err"
listening_port P "$TMP/server.err" tcp proto
cat >"$TMP/repl_pty.py" <<'PYEOF'
import os, pty, select, subprocess, sys, time
sockit, port = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
p = subprocess.Popen([sockit, 'proto', 'call', '127.0.0.1:' + port], stdin=slave, stdout=slave, stderr=slave,
                     close_fds=True)
os.close(slave)
seen = b''
failed = False

def expect(what, timeout=5):
    """Read from the terminal until `what` shows up after everything matched so far."""
    global seen, failed
    end = time.time() + timeout
    while what not in seen:
        left = end - time.time()
        if left <= 0 or not select.select([master], [], [], left)[0]:
            print('FAIL: %r never appeared; terminal so far: %r' % (what, seen[-300:])); failed = True
            return
        try: d = os.read(master, 4096)
        except OSError: d = b''
        if not d:
            print('FAIL: terminal closed before %r; so far: %r' % (what, seen[-300:])); failed = True
            return
        seen += d
    seen = seen[seen.index(what) + len(what):]
    print('ok', what)

expect(b'proto> ')
os.write(master, b'ping\n'); expect(b'OK PONG'); expect(b'proto> ')
os.write(master, b'echo hello  there\n'); expect(b'OK Echo: hello  there'); expect(b'proto> ')
os.write(master, b'help\n'); expect(b'commands: ping'); expect(b'proto> ')
os.write(master, b'bogus\n'); expect(b"unknown command 'bogus'"); expect(b'proto> ')
os.write(master, b'quit\n'); expect(b'OK Goodbye')
try: rc = p.wait(timeout=5)
except subprocess.TimeoutExpired:
    p.kill(); rc = 'still running'
# A bad line makes the session's status 1 (documented); everything else was answered.
if rc != 1: print('FAIL: exit status', rc); failed = True
sys.exit(1 if failed else 0)
PYEOF
timeout 30 python3 "$TMP/repl_pty.py" "$SOCKIT" "$P" >"$TMP/tty.out" 2>&1 || fail "REPL on a terminal: $(grep -v '^ok' "$TMP/tty.out" | head -c 1500)"
cat "$TMP/tty.out"
finish
