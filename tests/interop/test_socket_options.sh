#!/usr/bin/env bash
# The socket option flags (connect, listen, udp send/recv, recv), read back by peers nobody here
# wrote: ss (the kernel's inet_diag view of sockit's own sockets) and a Python peer (what arrives).
# Proves: listen's (and echo's) --rcvbuf/--sndbuf (doubled by Linux), --mss (the MSS the peer is told),
# --keepalive=IDLE,INTVL,CNT (the keepalive timer) and --tos, inherited by the accepted socket;
# connect's -s/-p, proto call's and relay's -s (the source the peer sees); --ttl and --tos of connect -u and udp send (the TTL
# and TOS byte of the datagrams the peer receives); v4 and v6; -v prints asked and got;
# --json of bench, send and recv; --reuseport and --linger 0 by their effects; refusals and bad values are one line with the
# right exit code. Buffer sizes stay under Linux's default rmem_max/wmem_max (212992), which
# caps what a user may ask.
. "$SOCKIT_TEST_LIB"
need ss python3 timeout

# Holds a connection to 127.0.0.1:$1 (or [::1] with $2=6) open for 3 s and prints the MSS the
# kernel took from the server's SYN-ACK (TCP_MAXSEG on the client: the server's MSS less options).
peer_hold() {
    python3 - "$@" <<'EOF'
import socket, sys, time
port, fam = int(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "4")
host = "::1" if fam == "6" else "127.0.0.1"
s = socket.create_connection((host, port), timeout=5)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), flush=True)
time.sleep(3)
EOF
}

for fam in 4 6; do
    lo=127.0.0.1; [ "$fam" = 6 ] && lo='[::1]'
    # 1. listen: the accepted socket inherits the listener's options.
    bg sh -c "sleep 5 | exec timeout 10 '$SOCKIT' -v listen -$fam --rcvbuf 100000 --sndbuf 60000 --mss 1200 \
        --keepalive=45,7,3 --tos 32 0 >/dev/null 2>'$TMP/l$fam.err'"; L=$BG_PID
    listening_port P "$TMP/l$fam.err" tcp
    peer_hold "$P" "$fam" >"$TMP/mss$fam" &
    HOLD=$!
    for _ in $(seq 50); do [ -s "$TMP/mss$fam" ] && break; sleep 0.1; done
    sleep 0.3
    ss -tnoim --tos state established "( sport = :$P )" >"$TMP/ss$fam"
    expect_match "$TMP/ss$fam" "rb200000[,)]" "v$fam: accepted socket's SO_RCVBUF (100000 doubled)"
    expect_match "$TMP/ss$fam" "tb120000[,)]" "v$fam: accepted socket's SO_SNDBUF (60000 doubled)"
    expect_match "$TMP/ss$fam" "timer:\\(keepalive,4[3-5]sec,0\\)" "v$fam: keepalive timer at IDLE 45 s"
    expect_match "$TMP/ss$fam" "(tos|tclass):0x20" "v$fam: TOS/TCLASS 32"
    expect_match "$TMP/ss$fam" "advmss:11[0-9][0-9] " "v$fam: MSS announced under 1200"
    mss=$(cat "$TMP/mss$fam")
    # The peer's TCP_MAXSEG is the server's announced MSS less the timestamp option (12 bytes).
    [ -n "$mss" ] && [ "$mss" -le 1200 ] && [ "$mss" -ge 1100 ] || fail "v$fam: peer sees MSS '$mss', not about 1200"
    wait "$HOLD"
    kill "$L" 2>/dev/null; wait "$L" 2>/dev/null
    expect_contains "$TMP/l$fam.err" "socket option SO_RCVBUF: asked 100000, kernel has 200000" "v$fam: -v read-back"
    expect_contains "$TMP/l$fam.err" "socket option SO_KEEPALIVE: asked on, idle 45 s, interval 7 s, 3 probes" "v$fam: -v keepalive"

    # 2. connect -s/-p: the source the peer sees; --ttl/--tos on UDP: what its datagrams carry.
    src=127.0.0.2; [ "$fam" = 6 ] && src=::1
    python3 - "$fam" "$src" "$SOCKIT" "$TMP" <<'EOF' >"$TMP/peer$fam.out" 2>&1 || fail "v$fam: peer check: $(cat "$TMP/peer$fam.out")"
import socket, subprocess, sys
fam, src, sockit, tmp = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
host = "::1" if fam == "6" else "127.0.0.1"
# TCP: the source address and port sockit bound before connecting.
ls = socket.socket(af, socket.SOCK_STREAM)
ls.bind((host, 0)); ls.listen(1)
port = ls.getsockname()[1]
probe = socket.socket(af, socket.SOCK_STREAM)  # a source port free right now
probe.bind((src, 0))
sport = probe.getsockname()[1]
probe.close()
p = subprocess.Popen([sockit, "connect", "-s", src, "-p", str(sport), host, str(port)],
                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
ls.settimeout(10)
c, addr = ls.accept()
p.stdin.close()
c.close()
p.wait(timeout=10)
err = p.stderr.read().decode()
assert addr[0] == src and addr[1] == sport, f"peer saw {addr}, not {src}:{sport}; sockit said {err}"
# UDP: TTL and TOS of the datagram as received (IP_RECVTTL/IP_RECVTOS, IPV6_RECVHOPLIMIT/IPV6_RECVTCLASS).
us = socket.socket(af, socket.SOCK_DGRAM)
us.bind((host, 0)); us.settimeout(10)
if fam == "6":
    us.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    us.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
else:
    us.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVTTL", 12), 1)
    us.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
r = subprocess.run([sockit, "connect", "-u", "-N", "--ttl", "7", "--tos", "40", host, str(us.getsockname()[1])],
                   input=b"hello", capture_output=True, timeout=10)
data, anc, _, _ = us.recvmsg(100, 256)
ttl = tos = None
for level, kind, value in anc:
    v = int.from_bytes(value[:4] if len(value) >= 4 else value, sys.byteorder)
    if (level, kind) in ((socket.IPPROTO_IP, socket.IP_TTL), (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)):
        ttl = v
    if (level, kind) in ((socket.IPPROTO_IP, socket.IP_TOS), (socket.IPPROTO_IPV6, socket.IPV6_TCLASS)):
        tos = value[0] if level == socket.IPPROTO_IP else v
assert data == b"hello", data
assert ttl == 7, f"connect -u: TTL {ttl}"
assert tos == 40, f"connect -u: TOS {tos}"

def received(argv, payload):
    subprocess.run(argv, input=payload, capture_output=True, timeout=10)
    data, anc, _, _ = us.recvmsg(100, 256)
    ttl = tos = None
    for level, kind, value in anc:
        v = int.from_bytes(value[:4], sys.byteorder)
        if (level, kind) in ((socket.IPPROTO_IP, socket.IP_TTL), (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)):
            ttl = v
        if (level, kind) in ((socket.IPPROTO_IP, socket.IP_TOS), (socket.IPPROTO_IPV6, socket.IPV6_TCLASS)):
            tos = value[0] if level == socket.IPPROTO_IP else v
    return data, ttl, tos

target = (f"[{host}]" if fam == "6" else host) + f":{us.getsockname()[1]}"
data, ttl, tos = received([sockit, "udp", "send", "--ttl", "5", "--tos", "8", "-w", "0", target], b"again")
assert (data, ttl, tos) == (b"again", 5, 8), f"udp send: {data} TTL {ttl} TOS {tos}"
print("ok")
EOF
done

# udp recv and recv (file transfer): the bound socket's buffers.
bg sh -c "exec timeout 20 '$SOCKIT' udp recv --rcvbuf 90000 0 >/dev/null 2>'$TMP/ur.err'"
listening_port UP "$TMP/ur.err" udp
ss -uanm "( sport = :$UP )" >"$TMP/ssu"
expect_match "$TMP/ssu" "rb180000[,)]" "udp recv --rcvbuf 90000"
bg sh -c "exec timeout 20 '$SOCKIT' recv --rcvbuf 80000 -o '$TMP' 0 >/dev/null 2>'$TMP/rv.err'"
listening_port VP "$TMP/rv.err" tcp
ss -tlnm "( sport = :$VP )" >"$TMP/ssv"
expect_match "$TMP/ssv" "rb160000[,)]" "recv --rcvbuf 80000"

# The servers: echo's accepted connections inherit its listener's options; relay's connections to
# its target leave from --source.
bg sh -c "exec timeout 20 '$SOCKIT' echo -t --port 0 --rcvbuf 70000 --tos 16 --keepalive=44,5,2 >/dev/null 2>'$TMP/e.err'"
listening_port EP "$TMP/e.err" tcp echo
peer_hold "$EP" 4 >/dev/null &
HOLD=$!
wait_accepted "$EP" || fail "echo did not accept the holding client within 10 s"
ss -tnoim --tos state established "( sport = :$EP )" >"$TMP/sse"
expect_match "$TMP/sse" "rb140000[,)]" "echo --rcvbuf 70000 on an accepted connection"
expect_match "$TMP/sse" "tos:0x10" "echo --tos 16 on an accepted connection"
expect_match "$TMP/sse" "timer:\\(keepalive,4[2-4]sec,0\\)" "echo --keepalive on an accepted connection"
wait "$HOLD"
python3 - "$SOCKIT" <<'EOF' >"$TMP/relay.out" 2>&1 || fail "relay --source: $(cat "$TMP/relay.out")"
import re, socket, subprocess, sys, time
sockit = sys.argv[1]
target = socket.socket(); target.bind(("127.0.0.1", 0)); target.listen(1); target.settimeout(10)
r = subprocess.Popen([sockit, "relay", "-s", "127.0.0.3", "127.0.0.1:0", f"127.0.0.1:{target.getsockname()[1]}"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    port = None
    for _ in range(100):
        line = r.stderr.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+) \(tcp\)", line)
        if m:
            port = int(m.group(1)); break
    assert port, "relay announced no port"
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    t, addr = target.accept()
    assert addr[0] == "127.0.0.3", f"target saw the relay from {addr}"
finally:
    r.terminate(); r.wait(timeout=10)
EOF

# proto call -s: the source the server sees (a peer that accepts and hangs up; the call fails).
python3 - "$SOCKIT" <<'EOF' >"$TMP/pc.out" 2>&1 || fail "proto call -s: $(cat "$TMP/pc.out")"
import socket, subprocess, sys
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1); ls.settimeout(10)
p = subprocess.Popen([sys.argv[1], "proto", "call", "-w", "2", "-s", "127.0.0.6", f"127.0.0.1:{ls.getsockname()[1]}",
                      "ping"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
c, addr = ls.accept()
c.close()
p.wait(timeout=10)
assert addr[0] == "127.0.0.6", f"server saw {addr}"
EOF

# --json carries the read-back: bench's result object and send/recv's summaries.
run "$TMP/bj" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$EP" -c 2 -t 0.3 --warmup 0 --mss 1000
expect_rc 0 "bench --mss --json"
expect_contains "$TMP/bj" '"socket_options":\[{"option":"TCP_MAXSEG","asked":"1000","got":"1000"}\]' "bench --json socket_options"
mkdir -p "$TMP/rx"
bg sh -c "exec timeout 20 '$SOCKIT' --json recv --rcvbuf 40000 -o '$TMP/rx' 0 >'$TMP/rj' 2>'$TMP/rj.err'"; R=$BG_PID
listening_port RXP "$TMP/rj.err" tcp
printf 'hi\n' >"$TMP/small.txt"
run "$TMP/sj" "$TMP/err" -- "$SOCKIT" --json send --sndbuf 30000 "$TMP/small.txt" "127.0.0.1:$RXP"
expect_rc 0 "send --sndbuf --json"
wait "$R"
expect_contains "$TMP/sj" '"socket_options":\[{"option":"SO_SNDBUF","asked":"30000","got":"60000"}\]' "send --json socket_options"
expect_contains "$TMP/rj" '"socket_options":\[{"option":"SO_RCVBUF","asked":"40000","got":"80000"}\]' "recv --json socket_options"

# 3. Options nobody can read back, by their effects. --reuseport: a second listener shares the
# port (without it, the second bind fails); --linger 0: closing resets the connection (the peer's
# read fails with ECONNRESET instead of seeing EOF).
bg sh -c "exec timeout 20 '$SOCKIT' listen -4 --reuseport 0 </dev/null >/dev/null 2>'$TMP/r1.err'"
listening_port RP "$TMP/r1.err" tcp
bg sh -c "exec timeout 20 '$SOCKIT' listen -4 --reuseport $RP </dev/null >/dev/null 2>'$TMP/r2.err'"
listening_port RP2 "$TMP/r2.err" tcp
expect_eq "$RP2" "$RP" "--reuseport: the second listener's port"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen -4 "$RP"
expect_rc 1 "a listener without --reuseport on a shared port"
expect_contains "$TMP/err" "EADDRINUSE" "a listener without --reuseport on a shared port"
for linger in none 0; do
    python3 - "$SOCKIT" "$linger" <<'EOF' >"$TMP/linger.out" 2>&1 || fail "--linger $linger: $(cat "$TMP/linger.out")"
import signal, socket, subprocess, sys
sockit, linger = sys.argv[1], sys.argv[2]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
args = [sockit, "connect"] + ([] if linger == "none" else ["--linger", linger]) + ["127.0.0.1", str(ls.getsockname()[1])]
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ls.settimeout(10)
c, _ = ls.accept()
c.settimeout(10)
p.send_signal(signal.SIGTERM)
p.wait(timeout=10)
try:
    got = c.recv(10)
    result = "eof" if got == b"" else "data"
except ConnectionResetError:
    result = "reset"
want = "eof" if linger == "none" else "reset"
assert result == want, f"peer saw {result}, expected {want}"
EOF
done

# 4. Refusals and bad values: one line each, exit 1 for the kernel's refusal, 2 for ours.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen --bind-dev nosuchdev0 0
expect_rc 1 "unknown --bind-dev"
expect_match "$TMP/err" "^sockit: set SO_BINDTODEVICE nosuchdev0: .*\\(ENODEV\\)$" "unknown --bind-dev line"
expect_lines "$TMP/err" 1 "unknown --bind-dev"
for bad in "--ttl 0" "--ttl 256" "--tos -1" "--mss 10" "--sndbuf 0" "--rcvbuf nan" "--linger inf" \
           "--keepalive=1,2" "--keepalive=0,1,1" "--keepalive=x" "--bind-dev aaaaaaaaaaaaaaaaaaaa"; do
    # shellcheck disable=SC2086  # the flag and its value are two words
    run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen $bad 0
    expect_rc 2 "listen $bad"
    expect_lines "$TMP/err" 1 "listen $bad"
done
# A bare --keepalive before HOST PORT takes HOST as its value: the line names --keepalive.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect --keepalive 127.0.0.1 9
expect_rc 2 "connect --keepalive HOST PORT"
expect_contains "$TMP/err" "^sockit: --keepalive: bad value '127.0.0.1': expected IDLE,INTVL,CNT" "a bare --keepalive's line"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect --keepalive=60,10,500 127.0.0.1 9
expect_rc 2 "--keepalive=60,10,500"
expect_contains "$TMP/err" "bad value '60,10,500': IDLE,INTVL,CNT (seconds 1-32767, seconds 1-32767, probes 1-127)" "--keepalive's ranges"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -u --nodelay 127.0.0.1 9
expect_rc 2 "connect -u --nodelay"
expect_contains "$TMP/err" "--nodelay is a TCP option" "connect -u --nodelay"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -s 192.0.2.1 127.0.0.1 9
expect_rc 1 "connect -s with an address this host does not have"
expect_match "$TMP/err" "^sockit: set source 192\\.0\\.2\\.1:0: .*\\(EADDRNOTAVAIL\\)$" "connect -s foreign address line"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -6 -s 127.0.0.1 ::1 9
expect_rc 2 "connect -6 -s v4"
# Without -4/-6, an -s of the other family than the target says so, on each client.
printf x >"$TMP/one.txt"
for cmd in "connect -s ::1 127.0.0.1 9" "udp send -s ::1 127.0.0.1:9 x" "send -s ::1 $TMP/one.txt 127.0.0.1:9"; do
  # shellcheck disable=SC2086
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" $cmd
  expect_rc 1 "$cmd"
  expect_contains "$TMP/err" "^sockit: resolve 127.0.0.1 as IPv6 (the family of -s ::1): " "$cmd"
done
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call -s ::1 127.0.0.1:9 ping
expect_rc 1 "proto call -s ::1 to an IPv4 target"
expect_contains "$TMP/err" "^sockit: connect 127.0.0.1:9 as IPv6 (the family of -s ::1): " "proto call -s ::1"
finish
