#!/usr/bin/env bash
# echo, proto, relay and bench on Unix domain sockets (test_unix_sockets.sh covers connect/listen).
# Proves: echo unix:/path byte-exact with nc -U and socat UNIX-CONNECT, an abstract name through
# socat ABSTRACT-CONNECT, -v's credentials line, --json's listening event naming the path, --mode
# read back with stat; echo --unix-dgram answering a bound sender (socat UNIX-SENDTO,bind=) and
# warning about an unbound one; the stale-file rule for echo (a kill -9 leftover replaced, a live
# echo refused, a regular file kept); the file removed after SIGINT, SIGTERM and a second SIGINT
# mid-drain, and with stdout closed; proto call <-> proto serve over unix: (path and abstract);
# relay TCP -> unix (nc to the relay, socat UNIX-LISTEN behind it) and unix -> TCP (socat
# UNIX-CONNECT to the relay, nc -l behind it); bench --json against echo on unix: (stream and
# dgram); the usage errors (107-byte limit, serve, flags that mean nothing there) and the runtime
# ones (missing directory, no permission).
. "$SOCKIT_TEST_LIB"
need nc socat cmp head timeout stat python3

head -c 256K /dev/urandom >"$TMP/data"
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
wait_gone() { for _ in $(seq 50); do [ -e "$1" ] || return 0; sleep 0.1; done; return 1; }
wait_line() { for _ in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
ABS="sockit-test-$$-$RANDOM"

# 1. echo unix:/path: nc -U and socat UNIX-CONNECT get their bytes back; -v credentials; --json
#    listening event with the path; --mode 600 read back.
S=$TMP/e1
bg sh -c "exec '$SOCKIT' --json -v echo --mode 600 'unix:$S' >'$TMP/e1.out' 2>'$TMP/e1.err'"; E=$BG_PID
wait_file "$S"
wait_line "$TMP/e1.err" "listening on unix:" || true  # printed after the bind that made the file
wait_line "$TMP/e1.out" '"event":"listening"' || true
expect_contains "$TMP/e1.err" "listening on unix:$S (unix stream) echo" "echo listening line"
expect_contains "$TMP/e1.out" "\"event\":\"listening\",\"service\":\"echo\",\"proto\":\"unix stream\",\"address\":\"unix:$S\"" "echo --json listening event"
expect_eq "$(stat -c %a "$S")" "600" "echo --mode 600"
timeout 10 nc -N -U "$S" <"$TMP/data" >"$TMP/got1" || fail "nc -U to echo failed"
cmp -s "$TMP/data" "$TMP/got1" || fail "nc -U got $(size_of "$TMP/got1") bytes back from echo, not 256 KiB"
timeout 10 socat -t 5 - "UNIX-CONNECT:$S" <"$TMP/data" >"$TMP/got1s" || fail "socat UNIX-CONNECT to echo failed"
cmp -s "$TMP/data" "$TMP/got1s" || fail "socat got $(size_of "$TMP/got1s") bytes back from echo, not 256 KiB"
wait_line "$TMP/e1.err" "peer pid" || true
expect_match "$TMP/e1.err" "peer pid [1-9][0-9]* uid $(id -u) gid $(id -g)\$" "echo -v credentials"
# 1b. The stale-file rule: a second echo on a live one is refused and leaves it alone.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" echo "unix:$S"
expect_rc 1 "echo on a path a live echo holds"
expect_contains "$TMP/err" "a server is listening there" "live echo refused"
[ -S "$S" ] || fail "the refused echo removed the live one's file"
kill -INT "$E"; wait "$E"; RC=$?
expect_rc 0 "echo after SIGINT"
[ -e "$S" ] && fail "echo left $S after SIGINT"
expect_contains "$TMP/e1.out" "\"event\":\"totals\"" "echo --json totals"

# 2. An abstract name through socat ABSTRACT-CONNECT; SIGTERM ends it.
bg sh -c "exec '$SOCKIT' echo 'unix:@$ABS' >/dev/null 2>'$TMP/e2.err'"; E=$BG_PID
wait_line "$TMP/e2.err" "listening on unix:@$ABS (unix stream) echo" || fail "no listening line for unix:@$ABS"
expect_eq "$(printf 'abstract\n' | timeout 5 socat -t 2 - "ABSTRACT-CONNECT:$ABS")" "abstract" "echo on an abstract name"
stop_server "$E"
expect_rc 0 "echo unix:@name after SIGTERM"

# 3. echo --unix-dgram: a bound sender gets its datagram back; an unbound one cannot, with a warning.
S=$TMP/e3
bg sh -c "exec '$SOCKIT' echo --unix-dgram 'unix:$S' >'$TMP/e3.out' 2>'$TMP/e3.err'"; E=$BG_PID
wait_file "$S"
expect_eq "$(printf 'dgram\n' | timeout 5 socat -t 1 - "UNIX-SENDTO:$S,bind=$TMP/c3")" "dgram" "echo --unix-dgram to a bound sender"
printf 'nobody\n' | timeout 5 socat -t 0.2 - "UNIX-SENDTO:$S" >/dev/null
wait_line "$TMP/e3.err" "never bound" || fail "no warning for an unbound datagram sender: $(head -c 300 "$TMP/e3.err")"
stop_server "$E"
expect_rc 0 "echo --unix-dgram after SIGTERM"
expect_match "$TMP/e3.out" "^echo +unix dgram +0 +2 " "echo --unix-dgram totals (2 datagrams)"
[ -e "$S" ] && fail "echo --unix-dgram left $S"

# 4. A file left by kill -9 is replaced; a regular file is kept; stdout closed still serves and
#    removes the file; a second SIGINT while a client holds the drain exits 130 and removes it too.
S=$TMP/e4
bg sh -c "exec '$SOCKIT' echo 'unix:$S' >/dev/null 2>/dev/null"; E=$BG_PID
wait_file "$S"
kill -9 "$E"; wait "$E" 2>/dev/null
[ -S "$S" ] || fail "kill -9 should have left $S behind"
# With io_uring the kernel tears the ring down after the process is reaped, and the listener with
# it: until then the file still has a live server behind it. Wait for the refusal that marks it stale.
for _ in $(seq 50); do socat -u /dev/null "UNIX-CONNECT:$S" 2>/dev/null || break; sleep 0.1; done
bg sh -c "exec '$SOCKIT' echo 'unix:$S' >&- 2>'$TMP/e4.err'"; E=$BG_PID
wait_line "$TMP/e4.err" "listening on unix:$S" || fail "echo did not replace the stale $S: $(head -c 300 "$TMP/e4.err")"
expect_eq "$(printf 'stale\n' | timeout 5 nc -N -U "$S")" "stale" "echo on a replaced stale file (stdout closed)"
# A client that sends and never reads: its echo stays queued, so the drain waits for it.
bg python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(1)
try:
    s.sendall(b"x" * (8 << 20))
except socket.timeout:
    pass
print("held", flush=True)
time.sleep(20)
' "$S" >"$TMP/hold.out"; HOLD=$BG_PID
wait_line "$TMP/hold.out" held || fail "the holding client did not fill its queue"
kill -INT "$E"; sleep 0.3
kill -0 "$E" 2>/dev/null || fail "echo did not wait for the client's queued echo (drain)"
kill -INT "$E"; wait "$E"; RC=$?
expect_rc 130 "echo after a second SIGINT while draining"
[ -e "$S" ] && fail "echo left $S after a second SIGINT"
kill "$HOLD" 2>/dev/null
: >"$TMP/plain"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" echo "unix:$TMP/plain"
expect_rc 1 "echo on a regular file"
expect_contains "$TMP/err" "not a socket" "regular file kept"
[ -f "$TMP/plain" ] || fail "echo removed a regular file"

# 5. proto call <-> proto serve over unix: (a path, then an abstract name).
S=$TMP/p5
bg sh -c "exec '$SOCKIT' proto serve --v2 'unix:$S' >'$TMP/p5.out' 2>'$TMP/p5.err'"; P=$BG_PID
wait_file "$S"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "unix:$S" echo hello unix
expect_rc 0 "proto call unix: echo"
expect_eq "$(cat "$TMP/out")" "OK Echo: hello unix" "proto call unix: echo output"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json proto call --v2 "unix:$S" ping -c 3 -i 0.01
expect_rc 0 "proto call --v2 unix: ping -c 3"
expect_contains "$TMP/out" '"received":3' "proto call unix: ping summary"
expect_contains "$TMP/p5.out" "proto listening on unix:$S (v1+v2" "proto serve listening line"
stop_server "$P"
expect_rc 0 "proto serve unix: after SIGTERM"
expect_contains "$TMP/p5.out" "2 connection(s)" "proto serve totals"
[ -e "$S" ] && fail "proto serve left $S"
bg sh -c "exec '$SOCKIT' proto serve 'unix:@$ABS-p' >/dev/null 2>'$TMP/p5b.err'"; P=$BG_PID
wait_line "$TMP/p5b.err" "listening on unix:@$ABS-p (unix stream) proto" || fail "proto serve unix:@ did not listen"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "unix:@$ABS-p" ping
expect_eq "$(cat "$TMP/out")" "OK PONG" "proto call unix:@name ping"
stop_server "$P"

# 6. relay TCP -> unix: nc to the relay's TCP port, socat UNIX-LISTEN (cat) behind it, both ways.
S=$TMP/r6
bg timeout 20 socat "UNIX-LISTEN:$S,fork" EXEC:cat
wait_file "$S"
bg sh -c "exec '$SOCKIT' relay 0 'unix:$S' >'$TMP/r6.out' 2>'$TMP/r6.err'"; R=$BG_PID
listening_port RP "$TMP/r6.err" tcp
timeout 10 nc -N 127.0.0.1 "$RP" <"$TMP/data" >"$TMP/got6" || fail "nc through relay -> unix failed"
cmp -s "$TMP/data" "$TMP/got6" || fail "nc got $(size_of "$TMP/got6") bytes back through relay -> unix:$S, not 256 KiB"
stop_server "$R"
expect_rc 0 "relay tcp -> unix after SIGTERM"
expect_contains "$TMP/r6.out" "-> unix:$S (tcp)" "relay report names the unix: target"

# 7. relay unix -> TCP: socat UNIX-CONNECT to the relay, nc -l behind it; the file goes at exit.
S=$TMP/r7
bg_on_free_port NP tcp sh -c "exec timeout 20 nc -l 127.0.0.1 {port} >'$TMP/got7' </dev/null"; N=$BG_PID
bg sh -c "exec '$SOCKIT' --json relay --mode 660 'unix:$S' '127.0.0.1:$NP' >'$TMP/r7.out' 2>'$TMP/r7.err'"; R=$BG_PID
wait_file "$S"
expect_eq "$(stat -c %a "$S")" "660" "relay --mode 660"
expect_contains "$TMP/r7.out" "\"event\":\"listening\",\"proto\":\"unix stream\",\"address\":\"unix:$S\"" "relay --json listening event"
timeout 10 socat -t 5 -u - "UNIX-CONNECT:$S" <"$TMP/data" || fail "socat UNIX-CONNECT through relay failed"
wait "$N"
cmp -s "$TMP/data" "$TMP/got7" || fail "nc -l got $(size_of "$TMP/got7") bytes through unix:$S -> relay, not 256 KiB"
stop_server "$R"
expect_rc 0 "relay unix -> tcp after SIGTERM"
[ -e "$S" ] && fail "relay left $S"

# 8. bench --json against echo on unix: (stream, then datagrams).
S=$TMP/b8
bg sh -c "exec '$SOCKIT' echo 'unix:$S' >/dev/null 2>/dev/null"; E=$BG_PID
wait_file "$S"
run "$TMP/b8.json" "$TMP/err" -- "$SOCKIT" --json bench "unix:$S" -c 2 -d 4 -s 4096 -t 0.5 --warmup 0.1
expect_rc 0 "bench unix: stream"
python3 - "$TMP/b8.json" <<'EOF' || fail "bench unix: stream JSON: $(head -c 400 "$TMP/b8.json")"
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["proto"] == "unix stream" and j["target"].startswith("unix:"), j
assert j["messages"] > 0 and j["mb_per_s"] > 0 and j["errors"] == 0, j
EOF
stop_server "$E"
bg sh -c "exec '$SOCKIT' echo --unix-dgram 'unix:@$ABS-d' >/dev/null 2>'$TMP/b8d.err'"; E=$BG_PID
wait_line "$TMP/b8d.err" "listening on unix:@$ABS-d" || fail "echo --unix-dgram unix:@ did not listen"
run "$TMP/b8d.json" "$TMP/err" -- "$SOCKIT" --json bench --unix-dgram "unix:@$ABS-d" -c 2 -d 4 -t 0.5 --warmup 0.1
expect_rc 0 "bench --unix-dgram"
python3 - "$TMP/b8d.json" <<'EOF' || fail "bench --unix-dgram JSON: $(head -c 400 "$TMP/b8d.json")"
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["proto"] == "unix dgram" and j["messages"] > 0 and j["udp_sent"] > 0, j
EOF
stop_server "$E"

# 9. Usage errors (exit 2, one line) and runtime ones (exit 1).
LONG="unix:/tmp/$(printf 'x%.0s' $(seq 110))"
for cmd in "echo $LONG" "proto serve $LONG" "proto call $LONG ping" "relay 0 $LONG" "relay $LONG 9000" "bench $LONG"; do
  run "$TMP/out" "$TMP/err" -- $SOCKIT $cmd
  expect_rc 2 "$cmd (path over 107 bytes)"
  expect_lines "$TMP/err" 1 "$cmd error"
  expect_contains "$TMP/err" "at most 107" "$cmd names the limit"
done
for cmd in "serve unix:/tmp/x.sock" "serve -b unix:@x" "echo -u unix:@x" "echo --port 9 unix:@x" "echo --threads 2 unix:@x" \
           "echo --nodelay unix:@x" "echo --mode 600 unix:@x" "echo --mode 600" "proto serve --unix-dgram unix:@x" \
           "relay -u 0 unix:@x" "relay --threads 2 unix:@x 9000" "bench -u unix:@x" "echo 127.0.0.1"; do
  run "$TMP/out" "$TMP/err" -- $SOCKIT $cmd
  expect_rc 2 "$cmd"
  expect_lines "$TMP/err" 1 "$cmd error"
done
run "$TMP/out" "$TMP/err" -- "$SOCKIT" echo "unix:$TMP/no/such/dir/s"
expect_rc 1 "echo in a missing directory"
expect_contains "$TMP/err" "ENOENT" "missing directory"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  mkdir "$TMP/locked"; chmod 755 "$TMP/locked"; chmod 755 "$TMP"
  timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$SOCKIT" echo "unix:$TMP/locked/s" >/dev/null 2>"$TMP/err"; RC=$?
  expect_rc 1 "echo in a directory it may not write"
  expect_contains "$TMP/err" "EACCES" "no permission"
fi

finish
