#!/usr/bin/env bash
# listen -k serves clients at once (ncat --keep-open): stdin goes to every client, each client's
# lines reach stdout in order; a client leaving ends nothing; stdin's EOF half-closes every client
# (and a later one at once). --broker (ncat's chat mode, checked against ncat itself): each client
# gets the others' lines, never its own, and stdout nothing. --allow/--deny by prefix (127.0.0.2 vs
# 127.0.0.1, 127.0.0.0/8 vs ::1), --max-conns 2 closes a third client. A client that never reads
# is dropped (--send-timeout) while the others get all of 200 MB, with RSS under 100 MB. Ctrl+C
# exits 0, a second one (stdout blocked) 130. --exec: --deny and --max-conns (counted in running
# children) close clients before any child starts. -k -q 0: a slow client still gets all of
# stdin. Bad flag values exit 2. (Descriptor
# exhaustion: test_listen_fd_exhaustion.sh.)
. "$SOCKIT_TEST_LIB"
need nc ncat python3 timeout

# nofds CMD...: runs CMD without the descriptors above 2 this shell holds (the fifos' write ends
# kept open with exec {fd}>...): a child holding one would keep a fifo from ever reaching EOF.
nofds() {
  local fd
  for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
  exec "$@"
}
# wait_grep FILE ERE [TRIES]: up to TRIES/10 s (default 10 s) until a line of FILE matches.
wait_grep() { for _ in $(seq "${3:-100}"); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# wait_lines FILE N: up to 10 s until FILE has N lines.
wait_lines() { for _ in $(seq 100); do [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0; sleep 0.1; done; return 1; }
# client NAME HOST PORT [nc flags...]: an nc client whose stdin is the fifo $TMP/NAME.in (held open
# on a descriptor the caller keeps: `exec {VAR}>...` is done here, its number in IN_<NAME>) and
# whose output is $TMP/NAME.out. Its PID is in PID_<NAME>.
client() {
  local name=$1 host=$2 port=$3 fd; shift 3
  mkfifo "$TMP/$name.in"
  bg nofds sh -c "exec timeout 30 nc $* '$host' '$port' <'$TMP/$name.in' >'$TMP/$name.out' 2>/dev/null"
  printf -v "PID_$name" '%s' "$BG_PID"
  exec {fd}>"$TMP/$name.in"
  printf -v "IN_$name" '%s' "$fd"
}

# 1. Three clients at once: stdin to all, each one's lines to stdout; one leaves; stdin's EOF.
mkfifo "$TMP/stdin1"
bg nofds sh -c "exec '$SOCKIT' -v listen -k 0 <'$TMP/stdin1' >'$TMP/out1' 2>'$TMP/err1'"; L=$BG_PID
exec {S1}>"$TMP/stdin1"
listening_port P "$TMP/err1" tcp
client a 127.0.0.1 "$P"; client b 127.0.0.1 "$P"; client c ::1 "$P"
wait_grep "$TMP/err1" '\(3 connected\)' || fail "three clients at once: $(tail -3 "$TMP/err1")"
printf 'to all 1\nto all 2\n' >&$S1
for n in a b c; do wait_lines "$TMP/$n.out" 2; expect_eq "$(cat "$TMP/$n.out")" "$(printf 'to all 1\nto all 2')" "client $n got stdin"; done
for i in 1 2 3; do for n in a b c; do v=IN_$n; printf '%s line %s\n' "$n" "$i" >&${!v}; done; done
wait_lines "$TMP/out1" 9 || fail "9 lines from 3 clients: $(cat "$TMP/out1")"
for n in a b c; do
  expect_eq "$(grep "^$n " "$TMP/out1")" "$(printf '%s line 1\n%s line 2\n%s line 3' "$n" "$n" "$n")" "client $n's lines in order"
done
# c leaves: its EOF could be a half-close (see d below), so the next write tells.
kill "$PID_c"; wait "$PID_c" 2>/dev/null
printf 'after c left\n' >&$S1
wait_grep "$TMP/err1" 'left \(2 connected\)' || fail "client c leaving: $(tail -3 "$TMP/err1")"
for n in a b; do wait_lines "$TMP/$n.out" 3; expect_eq "$(tail -1 "$TMP/$n.out")" "after c left" "client $n served after c left"; done
printf 'b after\n' >&$IN_b
wait_grep "$TMP/out1" '^b after$' || fail "client b's line after c left"
# A client that sent and half-closed (nc -N) still gets stdin; stdin's EOF ends it.
bg nofds sh -c "printf 'd says\n' | exec timeout 20 nc -N 127.0.0.1 $P >'$TMP/d.out' 2>/dev/null"; D=$BG_PID
wait_grep "$TMP/out1" '^d says$' || fail "client d's line"
printf 'to all 3\n' >&$S1
wait_grep "$TMP/d.out" '^to all 3$' || fail "a half-closed client still gets stdin"
kill -0 "$D" 2>/dev/null || fail "client d ended before stdin's EOF"
exec {S1}>&-
for _ in $(seq 50); do kill -0 "$D" 2>/dev/null || break; sleep 0.1; done
kill -0 "$D" 2>/dev/null && fail "stdin's EOF did not end the half-closed client"
# a and b: half-closed by us; they still talk, and what they say is printed.
printf 'a after eof\n' >&$IN_a
wait_grep "$TMP/out1" '^a after eof$' || fail "a client's line after stdin's EOF"
timeout 5 nc -N 127.0.0.1 "$P" </dev/null >"$TMP/late.out"; RC=$?
expect_rc 0 "a client after stdin's EOF is half-closed at once"
kill -0 "$L" 2>/dev/null || fail "listen -k ended: $(tail -3 "$TMP/err1")"
kill -INT "$L"; wait "$L"; RC=$?
expect_rc 0 "listen -k after Ctrl+C"
expect_contains "$TMP/err1" "interrupted: closing 2 connections" "Ctrl+C closed the clients"
exec {IN_a}>&- {IN_b}>&- {IN_c}>&-

# 2. --broker, ours and ncat's: three clients, each sees the others' lines, not its own.
broker_case() {  # broker_case LABEL PORT
  local label=$1 port=$2 n m v
  for n in x y z; do client "$label$n" 127.0.0.1 "$port"; done
  # ncat says nothing when a client joins: wait until the server holds all three (a client still in
  # the backlog would miss the lines sent before its accept).
  wait_accepted "$port" 3 || fail "$label broker: three clients not accepted: $(ss -tnpH state established "sport = :$port")"
  for n in x y z; do v=IN_$label$n; printf 'from %s\n' "$n" >&${!v}; sleep 0.2; done
  for n in x y z; do
    wait_lines "$TMP/$label$n.out" 2
    expect_eq "$(sort "$TMP/$label$n.out" | tr '\n' ' ')" "$(for m in x y z; do [ $m = $n ] || printf 'from %s ' $m; done)" "$label broker: client $n"
  done
  for n in x y z; do v=IN_$label$n; exec {v}>&-; done
}
bg nofds sh -c "exec '$SOCKIT' -v listen --broker 0 </dev/null >'$TMP/out2' 2>'$TMP/err2'"; L=$BG_PID
listening_port P "$TMP/err2" tcp
broker_case ours "$P"
expect_eq "$(cat "$TMP/out2")" "" "broker prints nothing to stdout"
kill -INT "$L"; wait "$L"; RC=$?; expect_rc 0 "broker after Ctrl+C"
NP=$(free_port)
bg nofds sh -c "exec timeout 30 ncat -l --broker 127.0.0.1 $NP </dev/null >'$TMP/out2n' 2>'$TMP/err2n'"; N=$BG_PID
for _ in $(seq 50); do ss -tlnH "sport = :$NP" | grep -q . && break; sleep 0.1; done
broker_case ncat "$NP"
expect_eq "$(cat "$TMP/out2n")" "" "ncat's broker prints nothing to stdout either"
kill "$N" 2>/dev/null

# 3. --allow 127.0.0.1: 127.0.0.2 is closed at once, 127.0.0.1 served.
bg sh -c "exec timeout 30 '$SOCKIT' -v listen -k --allow 127.0.0.1 -4 0 </dev/null >'$TMP/out3' 2>'$TMP/err3'"; L=$BG_PID
listening_port P "$TMP/err3" tcp
echo denied | timeout 5 nc -N -s 127.0.0.2 127.0.0.1 "$P" >/dev/null 2>&1
wait_grep "$TMP/err3" 'info denied 127\.0\.0\.2:[0-9]+$' || fail "--allow: no 'denied 127.0.0.2:PORT' line: $(cat "$TMP/err3")"
echo allowed | timeout 5 nc -N 127.0.0.1 "$P" >/dev/null 2>&1
wait_grep "$TMP/out3" '^allowed$'
expect_eq "$(cat "$TMP/out3")" "allowed" "--allow 127.0.0.1 served only 127.0.0.1"
kill "$L"; wait "$L" 2>/dev/null

# 4. --deny 127.0.0.0/8: 127.0.0.1 closed, ::1 served (both listeners of the default bind).
bg sh -c "exec timeout 30 '$SOCKIT' -v listen -k --deny 10.0.0.0/8,127.0.0.0/8 0 </dev/null >'$TMP/out4' 2>'$TMP/err4'"; L=$BG_PID
listening_port P "$TMP/err4" tcp
echo four | timeout 5 nc -N 127.0.0.1 "$P" >/dev/null 2>&1
echo six | timeout 5 nc -N ::1 "$P" >/dev/null 2>&1
wait_grep "$TMP/out4" '^six$'
expect_eq "$(cat "$TMP/out4")" "six" "--deny 127.0.0.0/8 served ::1 only"
expect_contains "$TMP/err4" "denied 127.0.0.1:" "--deny logged the refusal"
kill "$L"; wait "$L" 2>/dev/null
# An IPv4-mapped item is read as IPv4: shorter than /96 it is refused, saying so.
run "$TMP/o" "$TMP/err" -- "$SOCKIT" listen --deny ::ffff:10.0.0.0/90 0
expect_rc 2 "--deny ::ffff:10.0.0.0/90"
expect_contains "$TMP/err" "an IPv4-mapped prefix is read as IPv4, so it needs /96 or longer" "--deny ::ffff:10.0.0.0/90"

# 5. --max-conns 2: a third client is closed at once; once one leaves, a new one is served.
bg nofds sh -c "exec timeout 30 '$SOCKIT' -v listen -k --max-conns 2 0 </dev/null >'$TMP/out5' 2>'$TMP/err5'"; L=$BG_PID
listening_port P "$TMP/err5" tcp
client m1 127.0.0.1 "$P"; client m2 127.0.0.1 "$P"
wait_grep "$TMP/err5" '\(2 connected\)' || fail "--max-conns 2: two clients"
echo third | timeout 5 nc -N 127.0.0.1 "$P" >/dev/null 2>&1; RC=$?
expect_rc 0 "the third client was closed at once"
wait_grep "$TMP/err5" 'refused 127\.0\.0\.1:[0-9]+: 2 connections already \(--max-conns 2\)' || fail "no --max-conns line: $(tail -2 "$TMP/err5")"
kill "$PID_m1"
wait_grep "$TMP/err5" 'left \(1 connected\)' || fail "m1 left"
echo fourth | timeout 5 nc -N 127.0.0.1 "$P" >/dev/null 2>&1
wait_grep "$TMP/out5" '^fourth$' || fail "a client after one left was not served"
grep -q third "$TMP/out5" && fail "the refused client's line was printed"
kill "$L"; wait "$L" 2>/dev/null; exec {IN_m1}>&- {IN_m2}>&-

# 6. A client that never reads: dropped after --send-timeout, the others get all 200 MB, RSS bounded.
SIZE=200000000
bg sh -c "exec timeout 40 sh -c 'while [ ! -e \"$TMP/go\" ]; do sleep 0.05; done; exec head -c $SIZE /dev/zero' | \
  exec timeout 40 '$SOCKIT' -v listen -k --send-timeout 1 -4 0 >'$TMP/out6' 2>'$TMP/err6'"
listening_port P "$TMP/err6" tcp
python3 - "$P" >"$TMP/stuck.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1]))); print("connected", flush=True)
time.sleep(25)
EOF
STUCK=$!; _PIDS+=("$STUCK")
wait_grep "$TMP/err6" '\(1 connected\)'
for n in r1 r2; do
  sh -c "timeout 40 nc -N 127.0.0.1 '$P' </dev/null | wc -c >'$TMP/$n.count'" & _PIDS+=("$!"); eval "PID_$n=\$!"
done
wait_grep "$TMP/err6" '\(3 connected\)' || fail "three clients for the flood"
SPID=$(pgrep -f -n "^$SOCKIT -v listen -k --send-timeout 1" || true)  # the sockit of this case only
[ -n "$SPID" ] || fail "no sockit PID for the flood case"
touch "$TMP/go"
MAXRSS=0
for _ in $(seq 600); do  # up to 30 s or so: 2 x 200 MB on a loaded machine
  r=$(awk '/^VmRSS/ {print $2}' "/proc/$SPID/status" 2>/dev/null || echo 0); [ "${r:-0}" -gt "$MAXRSS" ] && MAXRSS=$r
  [ -s "$TMP/r1.count" ] && [ -s "$TMP/r2.count" ] && break
  sleep 0.05
done
for n in r1 r2; do expect_eq "$(tr -d ' ' <"$TMP/$n.count" 2>/dev/null)" "$SIZE" "reader $n got all of stdin past the stuck client"; done
# A sanitized build keeps a quarantine of freed memory (446 MB seen): there the bound only catches
# a runaway; the release run holds the real one.
if grep -qa __asan_init "$SOCKIT"; then rss_cap=1048576; else rss_cap=102400; fi
[ "$MAXRSS" -gt 0 ] && [ "$MAXRSS" -lt "$rss_cap" ] || fail "RSS peaked at $MAXRSS kB (limit $((rss_cap / 1024)) MB)"
expect_match "$TMP/err6" 'dropped 127\.0\.0\.1:[0-9]+: it took nothing for 1 s with [0-9]+ bytes queued \(--send-timeout\)' "the stuck client was dropped"
echo "flood: max RSS ${MAXRSS} kB"
kill "$SPID" 2>/dev/null

# 7. Ctrl+C while stdout is blocked (nobody reads it): the write gives way (output.hpp), the
# clients are closed, exit 0 as after any first Ctrl+C.
mkfifo "$TMP/stdout7"
bg nofds sh -c "exec '$SOCKIT' listen -k -4 0 </dev/null >'$TMP/stdout7' 2>'$TMP/err7'"; L=$BG_PID
exec {HOLD}<>"$TMP/stdout7"  # opened, never read: the pipe fills
listening_port P "$TMP/err7" tcp
bg nofds sh -c "head -c 2000000 /dev/zero | exec timeout 10 nc -N 127.0.0.1 $P >/dev/null 2>&1"
# Until the FIFO is full (64 KiB unread) stdout is not blocked, and the first Ctrl+C ends it at once.
wait_fifo_full "$TMP/stdout7" || fail "listen's stdout never filled up"
kill -INT "$L"
for _ in $(seq 50); do kill -0 "$L" 2>/dev/null || break; sleep 0.1; done
kill -0 "$L" 2>/dev/null && { fail "listen -k still blocked on stdout 5 s after Ctrl+C"; kill -9 "$L"; }
wait "$L"; RC=$?
expect_rc 0 "a first Ctrl+C with stdout blocked"
exec {HOLD}>&-

# 8. --exec: --deny closes before any child starts, --max-conns 1 counts running children.
bg nofds sh -c "exec '$SOCKIT' -v listen -k --max-conns 1 --deny 127.0.0.2 --sh-exec 'cat; sleep 1' -4 0 </dev/null >/dev/null 2>'$TMP/err8'"; L=$BG_PID
listening_port P "$TMP/err8" tcp
client e1 127.0.0.1 "$P"
wait_grep "$TMP/err8" 'started child' || fail "--exec: the first client's child"
echo over | timeout 5 nc -N 127.0.0.1 "$P" >/dev/null 2>&1
echo bad | timeout 5 nc -N -s 127.0.0.2 127.0.0.1 "$P" >/dev/null 2>&1
wait_grep "$TMP/err8" 'info denied 127\.0\.0\.2:' || fail "--exec --deny: $(tail -2 "$TMP/err8")"
expect_match "$TMP/err8" 'refused 127\.0\.0\.1:[0-9]+: 1 connection already \(--max-conns 1\)' "--exec --max-conns 1"
expect_eq "$(grep -c 'started child' "$TMP/err8")" "1" "--exec started one child only"
printf 'e1 line\n' >&$IN_e1
wait_lines "$TMP/e1.out" 1; expect_eq "$(cat "$TMP/e1.out")" "e1 line" "--exec served the admitted client"
exec {IN_e1}>&-
kill -INT "$L"; wait "$L" 2>/dev/null

# 9. -k -q 0 with stdin a 20 MB file and a client that reads slowly: it gets all of it (the
# clock starts once the bytes are sent, not when stdin ends with megabytes still queued).
head -c 20000000 /dev/urandom >"$TMP/q.bin"
bg sh -c "exec '$SOCKIT' listen -k -q 0 127.0.0.1 0 <'$TMP/q.bin' >/dev/null 2>'$TMP/errq'"; L=$BG_PID
listening_port P "$TMP/errq" tcp
timeout 30 python3 - "$P" >"$TMP/pyq" 2>&1 <<'PY'
import hashlib, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(20)
s.connect(("127.0.0.1", int(sys.argv[1])))
h, n = hashlib.sha256(), 0
while True:
    b = s.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
    time.sleep(0.002)
print(n, h.hexdigest())
PY
wait "$L"; RC=$?
expect_rc 0 "listen -k -q 0 < 20 MB file"
expect_eq "$(cat "$TMP/pyq")" "20000000 $(sha256sum <"$TMP/q.bin" | cut -d' ' -f1)" "listen -k -q 0: a slow client gets all of stdin"
# ... but a client that takes nothing does not hold -q up past --send-timeout after stdin's end
# (2 MB: what the kernel buffers do not take stays queued, under the 1 MiB that drops a client).
head -c 2000000 "$TMP/q.bin" >"$TMP/q2.bin"
bg sh -c "exec '$SOCKIT' listen -k -q 0.5 --send-timeout 1 127.0.0.1 0 <'$TMP/q2.bin' >/dev/null 2>'$TMP/errq2'"; L=$BG_PID
listening_port P "$TMP/errq2" tcp
bg timeout 20 python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(('127.0.0.1', int(sys.argv[1]))); time.sleep(15)" "$P"
t0=$(date +%s)
wait "$L"; RC=$?
expect_rc 0 "listen -k -q 0.5 --send-timeout 1 with a client that never reads"
[ $(( $(date +%s) - t0 )) -le 12 ] || fail "listen -k -q 0.5 --send-timeout 1 waited $(( $(date +%s) - t0 )) s for a client that never reads"

# 10. Usage errors: one line, exit 2.
for args in "--max-conns 0" "--max-conns -1" "--max-conns nan" "--max-conns 99999999999999999999" \
            "--allow 127.0.0.1/33" "--allow localhost" "--deny 10.0.0.0/8,," "-u --broker" "-u -k --allow ::1" \
            "--broker --exec cat"; do
  run "$TMP/o8" "$TMP/err" -- "$SOCKIT" listen -k $args 0
  expect_rc 2 "listen -k $args"
  expect_lines "$TMP/err" 1 "listen -k $args: one line"
done
finish
