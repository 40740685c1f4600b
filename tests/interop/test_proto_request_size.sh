#!/usr/bin/env bash
# sockit proto call refuses a request whose text is over the limit before sending anything: v1's
# length field is 16 bits (65535), and --max-payload / --max-payload-v2 can set a lower limit. A
# usage error (exit 2, one line naming the limit) for the command in the arguments; for a stdin
# line (pipe or REPL) the line is refused with its number, the session goes on, and the exit status
# is 2. An endless line is refused without being held in memory. The server's request count shows
# that nothing of a refused text reached it (a v1 length sent modulo 65536 would make the rest of
# the text parse as thousands of requests).
. "$SOCKIT_TEST_LIB"
need python3
P=$(free_port)
bg "$SOCKIT" --json proto serve --port "$P" --v2 --max-payload 65535 >"$TMP/server.out" 2>"$TMP/server.err"
SERVER=$BG_PID
wait_listen "$P"

big=$(head -c 70000 /dev/zero | tr '\0' a)
c() { run "$TMP/out" "$TMP/err" -- "$SOCKIT" "$@"; }

# The command in the arguments: refused before connecting, one line naming the limit.
c proto call "127.0.0.1:$P" echo "$big"
expect_rc 2 "echo of 70000 bytes"
expect_lines "$TMP/err" 1 "echo of 70000 bytes: stderr"
expect_contains "$TMP/err" "^sockit: echo text of 70000 bytes is over the limit of 65535 bytes (the v1 length field is 16 bits)$" \
  "echo of 70000 bytes: message"
[ -s "$TMP/out" ] && fail "echo of 70000 bytes printed: $(head -c 100 "$TMP/out")"
c proto call "127.0.0.1:$P" raw 1 "$big"
expect_rc 2 "raw 1 of 70000 bytes"
expect_contains "$TMP/err" "raw text of 70000 bytes is over the limit of 65535" "raw of 70000 bytes: message"
# 65535 bytes are sent: the server (--max-payload 65535) cannot fit "Echo: " and the text in its
# answer and says so (exit 1, not 2); 65536 are refused.
c proto call "127.0.0.1:$P" echo "${big:0:65535}"
expect_rc 1 "echo of 65535 bytes (sent)"
expect_contains "$TMP/out" "^ERROR Response too large" "echo of 65535 bytes: the server's answer"
c proto call "127.0.0.1:$P" echo "${big:0:65536}"
expect_rc 2 "echo of 65536 bytes"
expect_contains "$TMP/err" "echo text of 65536 bytes is over the limit of 65535 bytes" "echo of 65536 bytes: message"
# A configured limit (it also bounds the answers accepted, so a short text is tried for the OK).
c proto call "127.0.0.1:$P" --max-payload 10 echo 0123
expect_rc 0 "echo of 4 bytes under --max-payload 10"
c proto call "127.0.0.1:$P" --max-payload 10 echo 0123456789A
expect_rc 2 "echo of 11 bytes under --max-payload 10"
expect_lines "$TMP/err" 1 "echo of 11 bytes: stderr"
expect_contains "$TMP/err" "over the limit of 10 bytes (--max-payload)" "--max-payload message"
# v2: its own limit (the 70000 bytes fit v2's 32-bit length and its default 1 MiB).
c proto call "127.0.0.1:$P" --v2 --max-payload-v2 100 echo "$(head -c 101 /dev/zero | tr '\0' b)"
expect_rc 2 "v2 echo of 101 bytes under --max-payload-v2 100"
expect_contains "$TMP/err" "over the limit of 100 bytes (--max-payload-v2)" "--max-payload-v2 message"
c proto call "127.0.0.1:$P" --v2 echo "$big"
expect_rc 0 "v2 echo of 70000 bytes"
expect_eq "$(wc -c <"$TMP/out")" "70010" "v2 echo of 70000 bytes answered ('OK Echo: ' + text + newline)"

# Stdin from a pipe: the line is refused with its number, the others are answered, exit 2.
printf 'ping\necho %s\nping\n' "$big" >"$TMP/script"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$P" <"$TMP/script"
expect_rc 2 "stdin line of 70000 bytes"
expect_eq "$(cat "$TMP/out")" "$(printf 'OK PONG\nOK PONG')" "stdin: the other lines answered"
expect_lines "$TMP/err" 1 "stdin line of 70000 bytes: stderr"
expect_contains "$TMP/err" "^sockit: line 2: echo text of 70000 bytes is over the limit of 65535 bytes" "stdin: message"
# A line with no end in sight (10 MB, no newline until then) is refused as soon as it cannot fit,
# and skipped up to its newline; the client's memory stays small.
{ echo ping; printf 'echo '; head -c 10000000 /dev/zero | tr '\0' c; printf '\nping\n'; } >"$TMP/endless"
# measured INPUT RSS-FILE: the client reading INPUT, run by python3 to write its peak memory
# (ru_maxrss of the waited-for child, in kB) to RSS-FILE.
measured() {
  run "$TMP/out" "$TMP/err" -- python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$2" "$SOCKIT" proto call "127.0.0.1:$P" <"$1"
}
printf 'ping\nping\n' >"$TMP/small"
measured "$TMP/small" "$TMP/rss0"
measured "$TMP/endless" "$TMP/rss"
expect_rc 2 "stdin line of 10 MB"
expect_eq "$(cat "$TMP/out")" "$(printf 'OK PONG\nOK PONG')" "stdin 10 MB line: the other lines answered"
expect_contains "$TMP/err" "^sockit: line 2: a line of more than 69631 bytes" "stdin 10 MB line: message"
expect_eq "$(grep -c '^sockit:' "$TMP/err")" "1" "stdin 10 MB line: one line on stderr"
rss0=$(cat "$TMP/rss0"); rss=$(cat "$TMP/rss")
echo "client max RSS: $rss0 kB for two pings, $rss kB with a 10 MB line"
[ -n "$rss" ] && [ "$rss" -lt $((rss0 + 4000)) ] || fail "stdin 10 MB line: max RSS ${rss:-?} kB, ${rss0:-?} kB without it (the line was held in memory?)"

# The REPL: the line is refused, the session goes on (prompt, then ping), exit 2 at the end.
cat >"$TMP/repl_pty.py" <<'PYEOF'
from pty_session import Terminal
t = Terminal()
t.expect(b'proto> ')
t.ask(b'echo 0123456789A\n', b'line 1: echo text of 11 bytes is over the limit of 10 bytes (--max-payload)',
      b'proto> ')
t.ask(b'ping\n', b'OK PONG', b'proto> ')
t.ask(b'quit\n', b'OK Goodbye')
t.finish(2)
PYEOF
on_pty "$TMP/repl_pty.py" "REPL" "$SOCKIT" proto call --max-payload 10 "127.0.0.1:$P"

# The server saw exactly the connections and requests that were meant: the echo of 65535 (its one
# error: the answer would not fit), the echo of 4, the v2 echo, then 2 + 2 + 2 + 2 (ping, quit in
# the REPL). A refused argument never even connected.
stop_server "$SERVER"
totals=$(grep '"event":"totals"' "$TMP/server.out")
expect_eq "$totals" '{"event":"totals","connections":7,"requests":11,"errors":1}' "the server's totals"
finish
