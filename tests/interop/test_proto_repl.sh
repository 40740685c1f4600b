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
from pty_session import Terminal
t = Terminal()
t.expect(b'proto> ')
t.ask(b'ping\n', b'OK PONG', b'proto> ')
t.ask(b'echo hello  there\n', b'OK Echo: hello  there', b'proto> ')
t.ask(b'help\n', b'commands: ping', b'proto> ')
t.ask(b'bogus\n', b"unknown command 'bogus'", b'proto> ')
t.ask(b'quit\n', b'OK Goodbye')
# A bad line makes the session's status 1 (documented); everything else was answered.
t.finish(1)
PYEOF
on_pty "$TMP/repl_pty.py" "REPL on a terminal" "$SOCKIT" proto call "127.0.0.1:$P"
finish
