#!/usr/bin/env bash
# labels: long
# (long: keeps it out of the sanitizer rerun. UBSan's vptr check needs a free descriptor; a
# process that has none gets a false "invalid vptr" report, as test_server_limits.sh says.)
# listen -k out of descriptors (ulimit -n 16): the excess clients are closed at once with one
# line on stderr saying how many and why, and once the others leave a new client is served.
. "$SOCKIT_TEST_LIB"
need python3 timeout
wait_grep() { for _ in $(seq "${3:-50}"); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# 24 clients against a hard limit of 16. The excess are closed at once
# (EOF, never a hang), stderr says how many and why, and the listener keeps draining: once the
# first clients leave, a new one is served.
bg bash -c 'ulimit -n 16 && exec "$0" listen -k 127.0.0.1 0 </dev/null >"$1" 2>"$2"' "$SOCKIT" "$TMP/out9" "$TMP/err9"
L=$BG_PID
listening_port P "$TMP/err9" tcp
timeout 30 python3 - "$P" "$TMP/out9" >"$TMP/py9" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(24)]
time.sleep(0.5)
closed = 0
for s in held:  # a shed client reads EOF; a served one too (stdin is empty: half-closed), so count resets
    s.settimeout(2)
    try:
        s.recv(1)
        closed += 1
    except OSError:
        pass
print("clients that saw EOF:", closed)
for s in held:
    s.close()
# The hub frees their descriptors as it sees them leave: until then a new client may still be
# shed (EOF before its line is taken). Try a few times, each with a line of its own.
for attempt in range(20):
    time.sleep(0.25)
    late = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        late.sendall(b"after the storm %d\n" % attempt)
        late.shutdown(socket.SHUT_WR)
        late.settimeout(5)
        eof = late.recv(1) == b""
    except OSError:
        eof = False
    late.close()
    time.sleep(0.1)
    if eof and b"after the storm" in open(sys.argv[2], "rb").read():
        break
print("late client EOF:", eof)
PY
cat "$TMP/py9"
expect_contains "$TMP/py9" "clients that saw EOF: 24" "ulimit 16: every client ends (EOF, no hang)"
expect_contains "$TMP/py9" "late client EOF: True" "ulimit 16: a client after the others left"
wait_grep "$TMP/out9" "after the storm" || fail "ulimit 16: the late client's line never reached stdout: $(head -c 300 "$TMP/out9")"
expect_match "$TMP/err9" "refused [0-9]+ clients?: out of file descriptors \(this process may hold 16: ulimit -n\)" \
  "ulimit 16: the shed clients are told on stderr"
kill "$L" 2>/dev/null; wait "$L" 2>/dev/null

finish
