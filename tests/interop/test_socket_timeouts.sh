#!/usr/bin/env bash
# The socket options no peer can read back, proved by their effects, and the servers' --json
# read-back. --recv-timeout / --send-timeout (SO_RCVTIMEO / SO_SNDTIMEO; connect and listen
# enforce them in their poll loop): a silent peer ends the session with one line and exit 1, a
# peer that keeps talking does not, a peer that never reads ends it once the buffers are full;
# -v shows the value the kernel kept. --nodelay: a tshark capture shows each small write leave as
# its own segment, where Nagle (the default) coalesces them while the peer holds its ACK.
# --json: echo's, proto serve's and relay's listening events carry socket_options.
. "$SOCKIT_TEST_LIB"
need python3 timeout tshark nc
[ "$(id -u)" -eq 0 ] || skip "needs root (packet capture on lo)"

# elapsed START: seconds since START (from date +%s.%N), for generous bounds.
elapsed() { python3 -c "import sys,time; print(round(time.time() - float(sys.argv[1]), 2))" "$1"; }
within() { python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) <= float(sys.argv[1]) <= float(sys.argv[3]) else 1)" "$@"; }

# 1. connect --recv-timeout against a peer that accepts and says nothing.
bg_on_free_port P tcp sh -c "sleep 8 | exec nc -l 127.0.0.1 {port} >/dev/null"
t0=$(date +%s.%N)
timeout 20 "$SOCKIT" -v connect --recv-timeout 1 --send-timeout 0.001 127.0.0.1 "$P" < <(sleep 6) >/dev/null 2>"$TMP/err"
RC=$?; t=$(elapsed "$t0")
expect_rc 1 "connect --recv-timeout: a silent peer fails the session"
expect_contains "$TMP/err" "recv from 127.0.0.1:$P: nothing received for 1 s (--recv-timeout)" "the one error line"
within "$t" 0.9 5 || fail "connect --recv-timeout 1 ended after $t s (expected about 1 s)"
expect_contains "$TMP/err" "socket option SO_RCVTIMEO: asked 1 s, kernel has 1 s" "-v: SO_RCVTIMEO read back"
# The kernel keeps timeouts in scheduler ticks: 1 ms comes back as one tick (1 to 10 ms).
expect_match "$TMP/err" "socket option SO_SNDTIMEO: asked 0.001 s, kernel has 0.0(01|02|04|1) s" "-v: SO_SNDTIMEO rounded to a tick"

# 2. A peer that keeps talking (a line every 0.3 s for 2 s) outlives --recv-timeout 1.
python3 - >"$TMP/talk.port" <<'EOF' &
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True)
c, _ = s.accept()
for i in range(7):
    c.sendall(b"line%d\n" % i); time.sleep(0.3)
c.close()
EOF
TALK=$!; _PIDS+=("$TALK")
wait_nonempty "$TMP/talk.port"; P=$(cat "$TMP/talk.port")
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect --recv-timeout 1 127.0.0.1 "$P" </dev/null
expect_rc 0 "connect --recv-timeout 1: a peer talking every 0.3 s until it closes"
expect_eq "$(wc -l <"$TMP/out")" 7 "every line of the talking peer arrived"

# 3. listen --recv-timeout: a client that connects and says nothing (TCP), a UDP peer that goes quiet.
bg sh -c "exec timeout 20 '$SOCKIT' listen --recv-timeout 1 0 </dev/null >/dev/null 2>'$TMP/l.err'"; L=$BG_PID
listening_port P "$TMP/l.err" tcp
bg sh -c "sleep 6 | exec nc 127.0.0.1 $P"
wait "$L"; RC=$?
expect_rc 1 "listen --recv-timeout: a silent client fails the session"
expect_contains "$TMP/l.err" "nothing received for 1 s (--recv-timeout)" "listen's error line"
bg sh -c "exec timeout 20 '$SOCKIT' listen -u -4 --recv-timeout 1 0 </dev/null >'$TMP/u.out' 2>'$TMP/u.err'"; L=$BG_PID
listening_port P "$TMP/u.err" udp
echo hello | timeout 5 "$SOCKIT" connect -u -N 127.0.0.1 "$P" >/dev/null 2>&1
wait "$L"; RC=$?
expect_rc 1 "listen -u --recv-timeout: the peer went quiet"
expect_eq "$(cat "$TMP/u.out")" "hello" "the datagram before the silence was printed"

# 4. listen -k --recv-timeout: the silent peer is dropped, the next one served.
bg sh -c "exec timeout 20 '$SOCKIT' -v listen -k --recv-timeout 1 0 </dev/null >'$TMP/k.out' 2>'$TMP/k.err'"; K=$BG_PID
listening_port P "$TMP/k.err" tcp
sleep 3 | timeout 10 nc 127.0.0.1 "$P" >/dev/null 2>&1 &
SILENT=$!
sleep 1.5
echo second | timeout 10 nc -N 127.0.0.1 "$P" >/dev/null 2>&1
wait "$SILENT" 2>/dev/null
for _ in $(seq 50); do grep -q second "$TMP/k.out" && break; sleep 0.1; done
expect_eq "$(cat "$TMP/k.out")" "second" "listen -k served the next peer after dropping the silent one"
expect_contains "$TMP/k.err" "(--recv-timeout)" "listen -k said why it dropped the silent peer"
kill "$K" 2>/dev/null; wait "$K" 2>/dev/null

# 5. --send-timeout: a peer that never reads; 50 MB cannot fit in the buffers.
python3 - >"$TMP/hold.port" <<'EOF' &
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(10)
EOF
HOLD=$!; _PIDS+=("$HOLD")
wait_nonempty "$TMP/hold.port"; P=$(cat "$TMP/hold.port")
t0=$(date +%s.%N)
head -c 50000000 /dev/zero | timeout 20 "$SOCKIT" connect --send-timeout 1 --sndbuf 8192 127.0.0.1 "$P" >/dev/null 2>"$TMP/err"
RC=$?; t=$(elapsed "$t0")
expect_rc 1 "connect --send-timeout: a peer that never reads"
expect_contains "$TMP/err" "send to 127.0.0.1:$P: the peer took nothing for 1 s (--send-timeout)" "the one error line"
within "$t" 0.9 6 || fail "connect --send-timeout 1 ended after $t s (expected about 1 s)"
kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null

# 6. Bad values are usage errors; the timeouts are for the commands that enforce them.
for v in 0 -1 nan inf 1e300 abc; do
    run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect --recv-timeout "$v" 127.0.0.1 9
    expect_rc 2 "--recv-timeout $v"
    expect_lines "$TMP/err" 1 "--recv-timeout $v: one line"
done
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send --recv-timeout 1 127.0.0.1:9 x
expect_rc 2 "udp send takes no --recv-timeout (it has -w)"

# 7. --nodelay by its effect. The peer reads nothing for 3 s, so it delays its ACKs (a read would
# send one at once); 100 one-byte writes 3 ms apart then leave as ~100 segments with --nodelay and
# far fewer with Nagle, which holds small writes while one is unacknowledged (about one segment per
# 40 ms delayed-ACK tick, after the first quick ACKs).
python3 - >"$TMP/slow.port" <<'EOF' &
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True)
for _ in range(2):
    c, _ = s.accept(); time.sleep(3)
    while c.recv(65536): pass
    c.close()
EOF
SLOW=$!; _PIDS+=("$SLOW")
wait_nonempty "$TMP/slow.port"; P=$(cat "$TMP/slow.port")
bg tshark -i lo -f "tcp port $P" -w "$TMP/nagle.pcapng" -q >/dev/null 2>"$TMP/tshark.err"; TSHARK=$BG_PID
for _ in $(seq 100); do grep -q "Capturing on" "$TMP/tshark.err" && break; sleep 0.1; done
grep -q "Capturing on" "$TMP/tshark.err" || skip "tshark cannot capture on lo here: $(head -c 200 "$TMP/tshark.err")"
sleep 0.3
# The first write waits 0.5 s: bytes written while sockit is still starting (an ASan build takes
# 0.2-0.3 s) would reach it in one read, and leave as one segment whatever the option.
trickle() { python3 -c 'import os, time
time.sleep(0.5)
for _ in range(100): os.write(1, b"x"); time.sleep(0.003)'; }
trickle | timeout 20 "$SOCKIT" connect --nodelay 127.0.0.1 "$P" >/dev/null 2>"$TMP/nd.err" || fail "connect --nodelay: $(cat "$TMP/nd.err")"
trickle | timeout 20 "$SOCKIT" connect 127.0.0.1 "$P" >/dev/null 2>"$TMP/ng.err" || fail "connect (Nagle): $(cat "$TMP/ng.err")"
wait "$SLOW" 2>/dev/null
# Until both connections' ends (two FINs each) are in the file, up to 10 s, not a fixed pause.
for _ in $(seq 20); do
  [ "$(tshark -r "$TMP/nagle.pcapng" -Y "tcp.flags.fin == 1" 2>/dev/null | wc -l)" -ge 4 ] && break
  sleep 0.5
done
kill -INT "$TSHARK"; wait "$TSHARK" 2>/dev/null
tshark -r "$TMP/nagle.pcapng" -Y "tcp.dstport == $P && tcp.len > 0" -T fields -e tcp.stream 2>/dev/null | sort -n | uniq -c >"$TMP/segs"
nodelay=$(awk '$2 == 0 { print $1 }' "$TMP/segs"); nagle=$(awk '$2 == 1 { print $1 }' "$TMP/segs")
echo "data segments for 100 one-byte writes: --nodelay ${nodelay:-0}, Nagle ${nagle:-0}"
[ "${nodelay:-0}" -ge 70 ] || fail "--nodelay: only ${nodelay:-0} segments for 100 small writes (expected ~100)"
[ "${nagle:-0}" -ge 1 ] && [ "${nagle:-0}" -le 50 ] || fail "Nagle: ${nagle:-0} segments for 100 small writes (expected far fewer)"

# 8. --json: the servers' listening events carry what the kernel made of the options.
# json_listening N CMD...: runs sockit --json CMD until N listening events are out, into j.out.
json_listening() {
    local n=$1; shift
    : >"$TMP/j.out"  # emptied first: the previous command's events must not pass for this one's
    bg sh -c "exec timeout 20 '$SOCKIT' --json $* >'$TMP/j.out' 2>/dev/null"; local J=$BG_PID
    for _ in $(seq 100); do [ "$(grep -c '"event":"listening"' "$TMP/j.out")" -ge "$n" ] && break; sleep 0.1; done
    kill -INT "$J" 2>/dev/null; wait "$J" 2>/dev/null
}
for cmd in "echo -t" "proto serve"; do
    json_listening 2 $cmd -p 0 --rcvbuf 100000 --ttl 9
    expect_match "$TMP/j.out" '"event":"listening".*"address":"127\.0\.0\.1:[0-9]+".*"socket_options":\[\{"option":"SO_RCVBUF","asked":"100000","got":"200000"\},\{"option":"IP_TTL","asked":"9","got":"9"\}\]' "$cmd --json: v4 listening event"
    expect_match "$TMP/j.out" '"address":"\[::1\]:[0-9]+".*"option":"IPV6_UNICAST_HOPS","asked":"9","got":"9"' "$cmd --json: v6 listening event"
done
json_listening 2 echo -t -p 0
expect_match "$TMP/j.out" '"event":"listening".*"socket_options":\[\]' "echo --json without options: an empty list"
json_listening 1 relay --tos 16 0 127.0.0.1:9
expect_match "$TMP/j.out" '"event":"listening".*"socket_options":\[\{"option":"IP_TOS","asked":"16","got":"16"\}\]' "relay --json listening event"
finish
