#!/usr/bin/env bash
# connect's and listen's everyday netcat flags against peers nobody here wrote (nc, Python):
# -C (CRLF line endings, a CRLF already there left alone), -i (a line at a time, spaced), -q (quit
# SECS after stdin's end although the peer stays), --send-only (the peer's bytes dropped, done at
# stdin's end), --recv-only (stdin never read, nothing sent), -n (names refused, nothing resolved),
# for TCP and UDP, connect and listen.
. "$SOCKIT_TEST_LIB"
need python3 nc timeout

# A TCP peer on 127.0.0.1 that records (seconds since accept, bytes) of each read until EOF, or
# until HOLD seconds pass; it never sends and never closes first. Its port in $1.port.
recorder() {
    python3 - "$1" "${2:-10}" <<'EOF' &
import socket, sys, time
out, hold = sys.argv[1], float(sys.argv[2])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(out + ".port", "w").write(str(s.getsockname()[1]))
c, _ = s.accept(); t0 = time.time(); c.settimeout(hold); got = []
try:
    while True:
        d = c.recv(4096)
        if not d: break
        got.append("%.2f %s" % (time.time() - t0, d.hex()))
except socket.timeout:
    got.append("timeout")
open(out, "w").write("\n".join(got) + "\n")
time.sleep(0.5)
EOF
    _PIDS+=("$!"); REC=$!
    for _ in $(seq 100); do [ -s "$1.port" ] && break; sleep 0.1; done
}

# 1. -C -i 0.3: three lines, CRLF each (b's CR kept single), about 0.3 s apart.
recorder "$TMP/r1"
printf 'a\nb\r\nc\n' | timeout 10 "$SOCKIT" connect -C -i 0.3 127.0.0.1 "$(cat "$TMP/r1.port")" >/dev/null 2>"$TMP/err"
wait "$REC"
expect_eq "$(awk '{print $2}' "$TMP/r1" | tr '\n' ' ')" "610d0a 620d0a 630d0a " "-C -i: one CRLF line per send"
python3 - "$TMP/r1" <<'EOF' || fail "-i 0.3: lines not spaced about 0.3 s apart: $(tr '\n' ' ' <"$TMP/r1")"
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.strip() and l[0].isdigit()]
gaps = [b - a for a, b in zip(t, t[1:])]
sys.exit(0 if len(gaps) == 2 and all(0.25 <= g <= 2.0 for g in gaps) else 1)
EOF

# 2. -q 0.5 against a peer that never closes: quits about 0.5 s after stdin's end, exit 0.
recorder "$TMP/r2" 6
t0=$(date +%s%N)
echo hi | timeout 10 "$SOCKIT" connect -q 0.5 127.0.0.1 "$(cat "$TMP/r2.port")" >/dev/null 2>"$TMP/err"; RC=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_rc 0 "connect -q 0.5"
[ "$ms" -ge 400 ] && [ "$ms" -le 4000 ] || fail "connect -q 0.5 took $ms ms"
wait "$REC"
expect_eq "$(awk 'NR==1 {print $2}' "$TMP/r2")" "68690a" "-q: stdin was sent before quitting"

# 3. --recv-only: stdin is left alone and nothing goes out; the peer's lines are printed.
bg_on_free_port P tcp sh -c "printf 'served\n' | exec nc -l -N 127.0.0.1 {port} >'$TMP/ro.peer'"
echo should-not-go | timeout 10 "$SOCKIT" connect --recv-only 127.0.0.1 "$P" >"$TMP/out" 2>"$TMP/err"; RC=$?
expect_rc 0 "connect --recv-only"
expect_eq "$(cat "$TMP/out")" "served" "--recv-only printed the peer's bytes"
wait "$BG_PID" 2>/dev/null
expect_eq "$(cat "$TMP/ro.peer")" "" "--recv-only sent nothing"

# 4. --send-only: the peer's bytes are not printed; done at stdin's end although the peer stays.
recorder "$TMP/r4" 6
timeout 10 "$SOCKIT" connect --send-only 127.0.0.1 "$(cat "$TMP/r4.port")" <<<"payload" >"$TMP/out" 2>"$TMP/err"; RC=$?
expect_rc 0 "connect --send-only"
wait "$REC"
expect_eq "$(awk 'NR==1 {print $2}' "$TMP/r4")" "7061796c6f61640a" "--send-only: the peer got stdin"
bg_on_free_port P tcp sh -c "sleep 3 | { printf 'junk\n'; cat; } | exec nc -l 127.0.0.1 {port} >'$TMP/so.peer'"
echo payload | timeout 10 "$SOCKIT" connect --send-only 127.0.0.1 "$P" >"$TMP/out" 2>"$TMP/err"; RC=$?
expect_rc 0 "connect --send-only against a talking peer"
expect_eq "$(cat "$TMP/out")" "" "--send-only dropped the peer's bytes"

# 5. listen with them: --send-only serves a file to nc and ignores what nc says; -C on listen.
bg sh -c "printf 'line\n' | exec timeout 10 '$SOCKIT' listen --send-only -C 0 >'$TMP/l.out' 2>'$TMP/l.err'"; L=$BG_PID
listening_port P "$TMP/l.err" tcp
echo chatter | timeout 5 nc -N 127.0.0.1 "$P" >"$TMP/nc.out"
wait "$L"; RC=$?
expect_rc 0 "listen --send-only -C"
expect_eq "$(od -An -tx1 "$TMP/nc.out" | tr -d ' \n')" "6c696e650d0a" "listen -C: nc got the line with CRLF"
expect_eq "$(cat "$TMP/l.out")" "" "listen --send-only printed nothing of nc's"

# 6. UDP -i: each line is its own datagram.
bg sh -c "exec timeout 10 '$SOCKIT' --json udp recv -c 3 127.0.0.1:0 >'$TMP/u.out' 2>'$TMP/u.err'"; U=$BG_PID
listening_port P "$TMP/u.err" udp
printf 'one\ntwo\nthree\n' | timeout 10 "$SOCKIT" connect -u -N -i 0.1 127.0.0.1 "$P" >/dev/null 2>"$TMP/err"
wait "$U"
expect_eq "$(grep -o '"size":[0-9]*' "$TMP/u.out" | tr '\n' ' ')" '"size":4 "size":4 "size":6 ' "connect -u -i: one datagram per line"

# 7. -n: a name is refused before anything is resolved; an address works as before.
for cmd in "connect -n localhost 9" "listen -n localhost 0" "connect -n -u localhost 9"; do
    run "$TMP/out" "$TMP/err" -- "$SOCKIT" $cmd
    expect_rc 2 "$cmd"
    expect_contains "$TMP/err" "-n: 'localhost' is not an address (-n never resolves names)" "$cmd: the one line"
done
for bad in "-q nan" "-q -1" "-i 0" "-i inf" "--send-only --recv-only" "--exec cat -C" "--sh-exec cat -q 1"; do
    run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect $bad 127.0.0.1 9
    expect_rc 2 "connect $bad"
    expect_lines "$TMP/err" 1 "connect $bad: one line"
done
finish
